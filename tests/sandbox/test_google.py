"""Google Calendar emulator behaviours beyond the calendar contract."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from addin.sandbox import SandboxRuntime
from tests.providers.test_calendar_contract import receiver

CLEO = "cleo.nguyen@acme-sales.example"
EVENT = {"summary": "Google", "start": {"dateTime": "2026-12-01T10:00:00Z"},
         "end": {"dateTime": "2026-12-01T11:00:00Z"}}


@pytest.fixture
def google(clean_sandbox: SandboxRuntime, upstream: requests.Session) -> Any:
    token = clean_sandbox.state.tokens.issue("google", CLEO)
    upstream.headers["Authorization"] = f"Bearer {token}"
    base = clean_sandbox.services["google"]
    return lambda method, path, **kw: upstream.request(method, base + path, **kw)


def _mail(sandbox: SandboxRuntime) -> list[tuple[str, str]]:
    return [(m["to"], m["kind"]) for m in sandbox.state.mail.messages()]


def test_send_updates_external_only(google: Any, clean_sandbox: SandboxRuntime) -> None:
    google("POST", "/calendars/primary/events?sendUpdates=externalOnly", json={
        **EVENT, "attendees": [{"email": "dan.okafor@acme-sales.example"},
                               {"email": "client@outside.example"}]})
    assert _mail(clean_sandbox) == [("client@outside.example", "invitation")]


def test_default_is_silent_and_legacy_send_notifications(google: Any,
                                                         clean_sandbox: SandboxRuntime) -> None:
    google("POST", "/calendars/primary/events", json={**EVENT, "attendees": [
        {"email": "a@outside.example"}]})
    assert _mail(clean_sandbox) == []
    google("POST", "/calendars/primary/events?sendNotifications=true", json={
        **EVENT, "attendees": [{"email": "b@outside.example"}]})
    assert _mail(clean_sandbox) == [("b@outside.example", "invitation")]


@pytest.mark.parametrize("renotify", [False, True])
def test_renotifying_existing_guests_is_a_setting(google: Any, clean_sandbox: SandboxRuntime,
                                                  renotify: bool) -> None:
    clean_sandbox.state.update_settings({"google.renotifyExistingGuestsOnGuestChange": renotify})
    try:
        created = google("POST", "/calendars/primary/events", json={
            **EVENT, "attendees": [{"email": "a@outside.example"}]}).json()
        google("PATCH", f"/calendars/primary/events/{created['id']}?sendUpdates=all",
               json={"attendees": [{"email": "a@outside.example"},
                                   {"email": "b@outside.example"}]})
        expected = [("b@outside.example", "invitation")]
        if renotify:
            expected.append(("a@outside.example", "update"))
        assert _mail(clean_sandbox) == expected
    finally:
        clean_sandbox.state.update_settings({"google.renotifyExistingGuestsOnGuestChange":
                                             False})


def test_update_replaces_and_errors_have_googles_shape(google: Any) -> None:
    created = google("POST", "/calendars/primary/events", json={
        **EVENT, "location": "Room 1"}).json()
    replaced = google("PUT", f"/calendars/primary/events/{created['id']}", json=EVENT).json()
    assert "location" not in replaced
    empty = google("POST", "/calendars/primary/events", json={
        **EVENT, "end": EVENT["start"]})
    assert empty.status_code == 400
    assert empty.json()["error"]["errors"][0]["reason"] == "timeRangeEmpty"
    missing = google("GET", "/calendars/primary/events/nosuchevent")
    assert missing.json()["error"]["errors"][0]["reason"] == "notFound"
    other = google("GET", "/calendars/someone.else@acme-sales.example/events")
    assert other.status_code == 404


def test_watch_channels_post_x_goog_headers(google: Any) -> None:
    with receiver() as (url, received):
        channel = google("POST", "/calendars/primary/events/watch", json={
            "id": "chan-1", "type": "web_hook", "address": url, "token": "tok"}).json()
        assert channel["kind"] == "api#channel" and channel["resourceId"]
        google("POST", "/calendars/primary/events", json=EVENT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(received) < 2:
            time.sleep(0.05)
        assert [r["kind"] for r in received][:2] == ["sync", "change"]
        assert all(r["secret"] == "tok" for r in received)
        stopped = google("POST", "/channels/stop", json={"id": "chan-1",
                                                         "resourceId": channel["resourceId"]})
        assert stopped.status_code == 204
