"""The Google Calendar emulator driven by google-api-python-client, built from the
discovery document the library ships; and the product's Google provider checked request
by request against that same document."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httplib2
import pytest
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from addin.domain import Attendee
from addin.providers.calendar.provider import NotifyMode
from addin.sandbox import SandboxRuntime
from tests.clock import at, compact, day, iso, wall, z
from tests.conftest import free_port
from tests.discovery import DiscoveryChecker
from tests.providers.conftest import calendar_under_test
from tests.providers.test_calendar_contract import draft

CLEO = "cleo.nguyen@acme-sales.example"
PARIS = "Europe/Paris"


def _event(**extra: Any) -> dict[str, Any]:
    return {"summary": "Discovery", "start": {"dateTime": iso(at(day(1), "10:00", PARIS))},
            "end": {"dateTime": iso(at(day(1), "11:00", PARIS))}, **extra}


def test_insert_patch_list_with_sync_tokens_and_delete(calendar_api: Any,
                                                       clean_sandbox: SandboxRuntime) -> None:
    events = calendar_api.events()
    created = events.insert(calendarId="primary", body=_event(), sendUpdates="none").execute()
    assert created["kind"] == "calendar#event" and created["status"] == "confirmed"
    listing = events.list(calendarId="primary", maxResults=2500).execute()
    assert created["id"] in [i["id"] for i in listing["items"]]
    token = listing["nextSyncToken"]
    patched = events.patch(calendarId="primary", eventId=created["id"], sendUpdates="all",
                           body={"attendees": [{"email": "guest@outside.example"}]}).execute()
    organizer, guest = patched["attendees"]  # Google lists the organizer among them
    assert organizer["organizer"] is True and organizer["self"] is True
    assert guest["email"] == "guest@outside.example"
    assert guest["responseStatus"] == "needsAction"
    changes = events.list(calendarId="primary", syncToken=token).execute()
    assert [i["id"] for i in changes["items"]] == [created["id"]]
    events.delete(calendarId="primary", eventId=created["id"], sendUpdates="all").execute()
    after = events.list(calendarId="primary", syncToken=changes["nextSyncToken"]).execute()
    assert [(i["id"], i["status"]) for i in after["items"]] == [(created["id"], "cancelled")]
    with pytest.raises(HttpError) as gone:
        events.delete(calendarId="primary", eventId=created["id"]).execute()
    assert gone.value.resp.status == 410
    assert [(m["to"], m["kind"]) for m in clean_sandbox.state.mail.messages()] == [
        ("guest@outside.example", "invitation"), ("guest@outside.example", "cancellation")]


def test_client_chosen_ids_and_duplicates(calendar_api: Any) -> None:
    event_id = "abc" + uuid.uuid4().hex
    body = _event(id=event_id)
    calendar_api.events().insert(calendarId="primary", body=body).execute()
    with pytest.raises(HttpError) as duplicate:
        calendar_api.events().insert(calendarId="primary", body=body).execute()
    assert duplicate.value.resp.status == 409
    assert duplicate.value.error_details[0]["reason"] == "duplicate"
    with pytest.raises(HttpError) as invalid:
        calendar_api.events().insert(calendarId="primary", body=_event(id="Not_Valid!")
                                     ).execute()
    assert invalid.value.resp.status == 400


def test_paging_and_expired_sync_tokens(calendar_api: Any, clean_sandbox: SandboxRuntime,
                                        upstream: Any) -> None:
    for _ in range(3):
        calendar_api.events().insert(calendarId="primary", body=_event()).execute()
    first = calendar_api.events().list(calendarId="primary", maxResults=2).execute()
    assert len(first["items"]) == 2 and "nextPageToken" in first
    rest = calendar_api.events().list(calendarId="primary", maxResults=2,
                                      pageToken=first["nextPageToken"]).execute()
    token = rest.get("nextSyncToken")
    while token is None:
        rest = calendar_api.events().list(calendarId="primary", maxResults=2,
                                          pageToken=rest["nextPageToken"]).execute()
        token = rest.get("nextSyncToken")
    upstream.post(f"{clean_sandbox.origins['google']}/sandbox-ui/calendars/{CLEO}/"
                  "expire-sync-tokens")
    with pytest.raises(HttpError) as expired:
        calendar_api.events().list(calendarId="primary", syncToken=token).execute()
    assert expired.value.resp.status == 410
    assert expired.value.error_details[0]["reason"] == "fullSyncRequired"


def test_private_extended_property_filter_and_if_match(calendar_api: Any) -> None:
    marker = uuid.uuid4().hex
    body = _event(extendedProperties={"private": {"salesforceEventId": marker}})
    created = calendar_api.events().insert(calendarId="primary", body=body).execute()
    found = calendar_api.events().list(calendarId="primary",
                                       privateExtendedProperty=f"salesforceEventId={marker}"
                                       ).execute()
    assert [i["id"] for i in found["items"]] == [created["id"]]
    request = calendar_api.events().patch(calendarId="primary", eventId=created["id"],
                                          body={"summary": "x"})
    request.headers["If-Match"] = '"1"'
    with pytest.raises(HttpError) as stale:
        request.execute()
    assert stale.value.resp.status == 412


def test_every_request_of_the_product_provider_matches_the_discovery_document(
        clean_sandbox: SandboxRuntime) -> None:
    checker = DiscoveryChecker()
    calendar = calendar_under_test(clean_sandbox, "google")
    calendar.provider.session.hooks["response"].append(checker.hook)  # type: ignore[attr-defined]
    provider = calendar.provider
    key = str(uuid.uuid4())
    item = provider.create_item(draft(), idempotency_key=key)
    provider.create_item(draft(), idempotency_key=key)  # the 409 path
    provider.get_item(item.item_id)
    provider.update_fields(item.item_id, draft(subject="Renamed"), etag=None)
    provider.replace_attendees(item.item_id, [Attendee("a@outside.example")],
                               notify=NotifyMode.CHANGED)
    provider.replace_attendees(item.item_id, [], notify=NotifyMode.SILENT)
    provider.find_by_salesforce_event("00U000000000001AAA")
    page = provider.list_changes(None)
    provider.list_changes(page.cursor)
    nobody_listens = f"http://127.0.0.1:{free_port()}/webhooks/google"
    subscription = provider.subscribe(nobody_listens, "secret",
                                      datetime.now(UTC) + timedelta(hours=1))
    provider.unsubscribe(subscription)
    provider.delete_item(item.item_id, notify=NotifyMode.SILENT)
    assert set(checker.seen) == {
        "calendar.events.insert", "calendar.events.get", "calendar.events.patch",
        "calendar.events.list", "calendar.events.watch", "calendar.channels.stop",
        "calendar.events.delete"}


def test_recurring_events_instances_and_single_events(calendar_api: Any) -> None:
    events = calendar_api.events()
    tag = f"Weekly {uuid.uuid4().hex[:8]}"
    tuesdays = [at(day(d), "10:00", PARIS) for d in (1, 8, 15)]  # weekly, 10:00 in Paris
    series = events.insert(calendarId="primary", body={
        "summary": tag, "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
        "start": {"dateTime": wall(tuesdays[0]), "timeZone": PARIS},
        "end": {"dateTime": wall(at(day(1), "11:00", PARIS)), "timeZone": PARIS}}).execute()
    assert series["start"]["dateTime"] == iso(tuesdays[0])  # RFC 3339, offset
    occurrences = events.instances(calendarId="primary", eventId=series["id"]).execute()
    assert [(o["id"], o["recurringEventId"], o["start"]["dateTime"])
            for o in occurrences["items"]] == [
        (f"{series['id']}_{compact(t)}", series["id"], iso(t)) for t in tuesdays]
    expanded = events.list(calendarId="primary", singleEvents=True, orderBy="startTime",
                           q=tag, timeMin=z(at(day(5), "00:00")),
                           timeZone="America/New_York").execute()
    assert [o["start"]["dateTime"] for o in expanded["items"]] == [
        iso(t.astimezone(ZoneInfo("America/New_York"))) for t in tuesdays[1:]]
    collapsed = events.list(calendarId="primary", q=tag).execute()
    assert [e["id"] for e in collapsed["items"]] == [series["id"]]
    with pytest.raises(HttpError) as ordering:
        events.list(calendarId="primary", orderBy="startTime").execute()
    assert ordering.value.resp.status == 400
    with pytest.raises(HttpError) as bad_rule:
        events.insert(calendarId="primary", body=_event(
            recurrence=["RRULE:FREQ=SOMETIMES"])).execute()
    assert bad_rule.value.resp.status == 400


def test_updated_min_includes_deletions(calendar_api: Any) -> None:
    events = calendar_api.events()
    before = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    kept = events.insert(calendarId="primary", body=_event(summary="Fresh")).execute()
    gone = events.insert(calendarId="primary", body=_event(summary="Gone")).execute()
    events.delete(calendarId="primary", eventId=gone["id"]).execute()
    recent = events.list(calendarId="primary", updatedMin=before).execute()
    statuses = {e["id"]: e["status"] for e in recent["items"]}
    assert statuses[kept["id"]] == "confirmed" and statuses[gone["id"]] == "cancelled"
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert events.list(calendarId="primary", updatedMin=later).execute()["items"] == []


def test_a_guests_copy_through_the_client(clean_sandbox: SandboxRuntime,
                                          calendar_api: Any) -> None:
    dan = "dan.okafor@acme-sales.example"
    created = calendar_api.events().insert(calendarId="primary", sendUpdates="all", body=_event(
        attendees=[{"email": dan}])).execute()
    token = clean_sandbox.state.tokens.issue("google", dan)
    http = AuthorizedHttp(Credentials(token=token), http=httplib2.Http(
        ca_certs=clean_sandbox.ca_path))
    as_dan = build("calendar", "v3", http=http, static_discovery=True,
                   client_options={"api_endpoint": clean_sandbox.services["google"] + "/"})
    copy = as_dan.events().get(calendarId="primary", eventId=created["id"]).execute()
    assert copy["organizer"] == {"email": CLEO}
    me = [a for a in copy["attendees"] if a.get("self")]
    assert [a["email"] for a in me] == [dan]
    as_dan.events().patch(calendarId="primary", eventId=created["id"], body={
        "attendees": [{**me[0], "responseStatus": "accepted"}]}).execute()
    seen = calendar_api.events().get(calendarId="primary", eventId=created["id"]).execute()
    assert {a["email"]: a["responseStatus"] for a in seen["attendees"]} == {
        CLEO: "accepted", dan: "accepted"}


def test_the_batch_endpoint_answers_google_api_python_client(
        calendar_api: Any, clean_sandbox: SandboxRuntime) -> None:
    """BatchHttpRequest posts multipart/mixed with a Content-ID per call and reads each
    part's HTTP response back by ``<response-ID>``; errors stay per call; the whole batch
    is one request in the stats."""
    events = calendar_api.events()
    created = [events.insert(calendarId="primary", body=_event(summary=f"Batch {n}"),
                             sendUpdates="none").execute() for n in range(3)]
    clean_sandbox.state.stats.reset()
    answers: dict[str, Any] = {}

    def collect(request_id: str, response: Any, exception: Any) -> None:
        answers[request_id] = exception if exception is not None else response

    # the library takes the batch URL from the discovery document's rootUrl, not from
    # api_endpoint: it is named here as any client of a non-default endpoint does
    batch = BatchHttpRequest(callback=collect, batch_uri=clean_sandbox.origins["google"]
                             + "/batch/calendar/v3")
    for item in created:
        batch.add(events.patch(calendarId="primary", eventId=item["id"], sendUpdates="none",
                               body={"location": "Room 7"}), request_id=item["id"])
    batch.add(events.get(calendarId="primary", eventId="nosuchevent"), request_id="missing")
    batch.execute()
    assert all(answers[i["id"]]["location"] == "Room 7" for i in created)
    assert isinstance(answers["missing"], HttpError) and answers["missing"].resp.status == 404
    stats = clean_sandbox.state.stats.snapshot()["google"]
    assert stats == {"requests": 1, "byOperation": {"batch": 1}}
