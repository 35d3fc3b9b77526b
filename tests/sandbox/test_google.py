"""Google Calendar emulator behaviours beyond the calendar contract."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import requests

from addin.sandbox import SandboxRuntime
from tests.clock import at, day, z
from tests.providers.test_calendar_contract import receiver

CLEO = "cleo.nguyen@acme-sales.example"
START = at(day(1), "10:00")  # the Tuesday of the test week, 10:00 UTC
EVENT = {"summary": "Google", "start": {"dateTime": z(START)},
         "end": {"dateTime": z(START + timedelta(hours=1))}}


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


def test_a_change_made_while_paging_is_in_the_next_sync_round(
        clean_sandbox: SandboxRuntime, upstream: requests.Session) -> None:
    token = clean_sandbox.state.tokens.issue("google", "cleo.nguyen@acme-sales.example")
    upstream.headers["Authorization"] = f"Bearer {token}"
    events = clean_sandbox.services["google"] + "/calendars/primary/events"
    body = {"summary": "Paged", "start": EVENT["start"], "end": EVENT["end"]}
    for _ in range(2):
        assert upstream.post(events, json=body).status_code == 200
    page = upstream.get(events, params={"maxResults": 1}).json()
    meanwhile = upstream.post(events, json={**body, "summary": "Meanwhile"}).json()
    while "nextPageToken" in page:
        page = upstream.get(events, params={"pageToken": page["nextPageToken"]}).json()
    changes = upstream.get(events, params={"syncToken": page["nextSyncToken"]}).json()
    assert meanwhile["id"] in [item["id"] for item in changes["items"]]


def test_guests_hold_copies_and_only_answer_on_them(
        clean_sandbox: SandboxRuntime, upstream: requests.Session) -> None:
    cleo, dan = "cleo.nguyen@acme-sales.example", "dan.okafor@acme-sales.example"
    events = clean_sandbox.services["google"] + "/calendars/primary/events"

    def as_(email: str) -> dict[str, str]:
        return {"Authorization": "Bearer " + clean_sandbox.state.tokens.issue("google", email)}

    created = upstream.post(events, headers=as_(cleo), json={
        "summary": "Guests", "start": EVENT["start"],
        "end": EVENT["end"], "attendees": [{"email": dan}],
        "extendedProperties": {"private": {"mine": "cleo"}}}).json()
    copy = upstream.get(f"{events}/{created['id']}", headers=as_(dan)).json()
    assert copy["organizer"] == {"email": cleo}
    assert "extendedProperties" not in copy  # private properties stay with their calendar
    assert [(a["email"], a.get("organizer", False), a.get("self", False))
            for a in copy["attendees"]] == [(cleo, True, False), (dan, False, True)]
    refused = upstream.patch(f"{events}/{created['id']}", headers=as_(dan),
                             json={"summary": "Mine now"})
    assert refused.status_code == 403
    assert refused.json()["error"]["errors"][0]["reason"] == "forbiddenForNonOrganizer"
    answered = upstream.patch(f"{events}/{created['id']}", headers=as_(dan), json={
        "attendees": [{"email": dan, "responseStatus": "tentative"}]})
    assert answered.status_code == 200
    organizer_view = upstream.get(f"{events}/{created['id']}", headers=as_(cleo)).json()
    assert {a["email"]: a["responseStatus"] for a in organizer_view["attendees"]} == {
        cleo: "accepted", dan: "tentative"}
    upstream.delete(f"{events}/{created['id']}", headers=as_(cleo))
    gone = upstream.get(f"{events}/{created['id']}", headers=as_(dan)).json()
    assert gone["status"] == "cancelled"
