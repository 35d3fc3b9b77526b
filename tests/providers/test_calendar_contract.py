"""ONE contract, run against every calendar provider (Graph, Google, EWS).

Capability flags, not provider names, decide what a provider is expected to do."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, Response, request
from werkzeug.serving import make_server

from addin.domain import Attendee, ItemDraft
from addin.providers.calendar.ews_push import notification_answer, parse_notification
from addin.providers.calendar.provider import (
    EtagMismatch,
    ItemNotFound,
    ItemWrite,
    NotifyMode,
    SilentUpdateUnsupported,
)
from tests.clock import at, day
from tests.conftest import free_port
from tests.providers.conftest import CalendarUnderTest, calendar_under_test

GUESTS = ["noah.smith@acme.example", "liam.jones@globex.example", "emma.brown@initech.example"]


def draft(**changes: Any) -> ItemDraft:
    values: dict[str, Any] = {
        "subject": "Pricing review", "start": at(day(1), "14:00"),
        "end": at(day(1), "15:00"), "time_zone": "Europe/London",
        "location": "Room 4", "body": "Agenda",
        "salesforce_event_id": f"00U{uuid.uuid4().hex[:15]}",
    }
    values.update(changes)
    return ItemDraft(**values)


def guests(*emails: str) -> list[Attendee]:
    return [Attendee(email=e, name=e.split("@")[0].title()) for e in emails]


class TestCalendarContract:
    def test_reads_and_writes_in_batches(self, calendar: CalendarUnderTest) -> None:
        """Three items read in one request and written in one round (Graph: one $batch,
        an item's two writes chained; Google: one write per item and batch, so the
        chained one takes a second batch; EWS: each round one UpdateItem per send mode and
        one GetItem); a missing item fails alone."""
        provider = calendar.provider
        items = [provider.create_item(draft(subject=f"Batch {n}"),
                                      idempotency_key=str(uuid.uuid4())) for n in range(3)]
        ids = [i.item_id for i in items]
        missing = "AAMkAGnosuchitem" if calendar.name == "ews" else "nosuchitem0"
        calendar.sandbox.state.stats.reset()
        read = provider.get_items([*ids, missing])
        assert [read[i].subject for i in ids] == ["Batch 0", "Batch 1", "Batch 2"]  # type: ignore[union-attr]
        assert isinstance(read[missing], ItemNotFound)
        stats = calendar.sandbox.state.stats.snapshot()[calendar.name]
        assert stats["requests"] == 1
        calendar.sandbox.state.stats.reset()
        chains = [[ItemWrite(i.item_id, draft=draft(subject=f"Renamed {n}"), etag=i.etag)]
                  for n, i in enumerate(items)]
        chains[0].append(ItemWrite(ids[0], attendees=guests(GUESTS[0]),
                                   notify=NotifyMode.CHANGED))
        written = provider.write_items(chains)
        assert [written[i].subject for i in ids] == [  # type: ignore[union-attr]
            "Renamed 0", "Renamed 1", "Renamed 2"]
        assert [a.email for a in written[ids[0]].attendees_besides_organizer()] == [  # type: ignore[union-attr]
            GUESTS[0]]
        requests = calendar.sandbox.state.stats.snapshot()[calendar.name]["requests"]
        assert requests == {"graph": 1, "google": 2, "ews": 4}[calendar.name]
        assert calendar.mail() == [(GUESTS[0], "invitation")]
        stale = provider.write_items([[ItemWrite(ids[1], draft=draft(), etag=items[1].etag)]])
        assert isinstance(stale[ids[1]], EtagMismatch)

    def test_create_an_appointment(self, calendar: CalendarUnderTest) -> None:
        wanted = draft()
        item = calendar.provider.create_item(wanted, idempotency_key=str(uuid.uuid4()))
        assert item.kind == "appointment" and item.attendees == []
        assert item.subject == "Pricing review" and item.location == "Room 4"
        assert item.start == wanted.start and item.end == wanted.end
        assert item.salesforce_event_id == wanted.salesforce_event_id
        found = calendar.provider.find_by_salesforce_event(str(wanted.salesforce_event_id))
        assert found is not None and found.item_id == item.item_id
        assert calendar.provider.find_by_salesforce_event("00U000000000000XXX") is None
        assert calendar.mail() == []

    def test_create_is_retry_safe(self, calendar: CalendarUnderTest) -> None:
        assert calendar.provider.capabilities.idempotent_create
        key = str(uuid.uuid4())
        wanted = draft()
        first = calendar.provider.create_item(wanted, idempotency_key=key)
        second = calendar.provider.create_item(wanted, idempotency_key=key)
        assert first.item_id == second.item_id

    def test_adding_attendees_invites_each_exactly_once(self, calendar: CalendarUnderTest
                                                        ) -> None:
        item = calendar.provider.create_item(draft(), idempotency_key=str(uuid.uuid4()))
        meeting = calendar.provider.replace_attendees(item.item_id, guests(*GUESTS[:2]),
                                                      notify=NotifyMode.CHANGED)
        assert meeting.kind == "meeting"
        assert sorted(calendar.mail()) == sorted((g, "invitation") for g in GUESTS[:2])
        calendar.sandbox.state.mail.clear()
        calendar.provider.replace_attendees(item.item_id, guests(*GUESTS),
                                            notify=NotifyMode.CHANGED)
        assert calendar.mail() == [(GUESTS[2], "invitation")]  # nobody else re-notified

    def test_removing_an_attendee_cancels_once(self, calendar: CalendarUnderTest) -> None:
        item = calendar.provider.create_item(draft(), idempotency_key=str(uuid.uuid4()))
        calendar.provider.replace_attendees(item.item_id, guests(*GUESTS[:2]),
                                            notify=NotifyMode.CHANGED)
        calendar.sandbox.state.mail.clear()
        after = calendar.provider.replace_attendees(item.item_id, guests(GUESTS[0]),
                                                    notify=NotifyMode.CHANGED)
        assert [a.email for a in after.attendees] == [GUESTS[0]]
        assert calendar.mail() == [(GUESTS[1], "cancellation")]
        calendar.sandbox.state.mail.clear()
        empty = calendar.provider.replace_attendees(item.item_id, [],
                                                    notify=NotifyMode.CHANGED)
        assert empty.kind == "appointment"
        assert calendar.mail() == [(GUESTS[0], "cancellation")]

    def test_silent_attendee_changes_where_capable(self, calendar: CalendarUnderTest) -> None:
        item = calendar.provider.create_item(draft(), idempotency_key=str(uuid.uuid4()))
        if calendar.provider.capabilities.silent_attendee_update:
            calendar.provider.replace_attendees(item.item_id, guests(GUESTS[0]),
                                                notify=NotifyMode.SILENT)
            assert calendar.mail() == []
        else:
            with pytest.raises(SilentUpdateUnsupported):
                calendar.provider.replace_attendees(item.item_id, guests(GUESTS[0]),
                                                    notify=NotifyMode.SILENT)

    def test_changing_a_field_of_an_appointment_emails_nobody(
            self, calendar: CalendarUnderTest) -> None:
        item = calendar.provider.create_item(draft(), idempotency_key=str(uuid.uuid4()))
        moved = calendar.provider.update_fields(item.item_id, draft(
            subject="Pricing review (moved)", start=at(day(2), "09:00"),
            end=at(day(2), "10:00")), etag=item.etag)
        assert moved.subject == "Pricing review (moved)"
        assert moved.start == at(day(2), "09:00")
        assert calendar.mail() == []

    def test_field_change_of_a_meeting_follows_the_capability(
            self, calendar: CalendarUnderTest) -> None:
        item = calendar.provider.create_item(draft(), idempotency_key=str(uuid.uuid4()))
        calendar.provider.replace_attendees(item.item_id, guests(GUESTS[0]),
                                            notify=NotifyMode.CHANGED)
        calendar.sandbox.state.mail.clear()
        calendar.provider.update_fields(item.item_id, draft(location="Room 9"))
        expected = [(GUESTS[0], "update")] if \
            calendar.provider.capabilities.field_update_notifies_attendees else []
        assert calendar.mail() == expected

    def test_responses_are_read_and_kept(self, calendar: CalendarUnderTest) -> None:
        item = calendar.provider.create_item(draft(), idempotency_key=str(uuid.uuid4()))
        calendar.provider.replace_attendees(item.item_id, guests(*GUESTS[:2]),
                                            notify=NotifyMode.CHANGED)
        calendar.respond(item.item_id, GUESTS[0], "accepted")
        current = calendar.provider.get_item(item.item_id)
        assert {a.email: a.response for a in current.attendees} == {
            GUESTS[0]: "accepted", GUESTS[1]: "none"}
        kept = calendar.provider.replace_attendees(item.item_id, current.attendees + guests(
            GUESTS[2]), notify=NotifyMode.CHANGED)
        assert {a.email: a.response for a in kept.attendees}[GUESTS[0]] == "accepted"

    def test_incremental_changes_with_a_cursor(self, calendar: CalendarUnderTest) -> None:
        kept = calendar.provider.create_item(draft(), idempotency_key=str(uuid.uuid4()))
        doomed = calendar.provider.create_item(draft(), idempotency_key=str(uuid.uuid4()))
        first = calendar.provider.list_changes(None)
        assert first.full_resync and first.cursor
        assert {kept.item_id, doomed.item_id} <= {i.item_id for i in first.changed}
        calendar.provider.update_fields(kept.item_id, draft(subject="Changed"))
        calendar.provider.delete_item(doomed.item_id, notify=NotifyMode.CHANGED)
        added = calendar.provider.create_item(draft(), idempotency_key=str(uuid.uuid4()))
        later = calendar.provider.list_changes(first.cursor)
        assert not later.full_resync
        assert {i.item_id for i in later.changed} == {kept.item_id, added.item_id}
        assert later.removed == [doomed.item_id]
        quiet = calendar.provider.list_changes(later.cursor)
        assert quiet.changed == [] and quiet.removed == []
        with pytest.raises(ItemNotFound):
            calendar.provider.get_item(doomed.item_id)

    def test_expired_cursor_means_full_resync(self, calendar: CalendarUnderTest) -> None:
        item = calendar.provider.create_item(draft(), idempotency_key=str(uuid.uuid4()))
        cursor = calendar.provider.list_changes(None).cursor
        calendar.expire_cursors()
        page = calendar.provider.list_changes(cursor)
        assert page.full_resync
        assert item.item_id in {i.item_id for i in page.changed}

    def test_stale_etag_is_a_conflict(self, calendar: CalendarUnderTest) -> None:
        item = calendar.provider.create_item(draft(), idempotency_key=str(uuid.uuid4()))
        calendar.provider.update_fields(item.item_id, draft(subject="Someone else"),
                                        etag=item.etag)
        with pytest.raises(EtagMismatch):
            calendar.provider.update_fields(item.item_id, draft(subject="Mine"),
                                            etag=item.etag)

    def test_429_is_retried_after_retry_after(self, calendar: CalendarUnderTest) -> None:
        item = calendar.provider.create_item(draft(), idempotency_key=str(uuid.uuid4()))
        calendar.fault(429, 1, retry_after=1)
        started = time.monotonic()
        assert calendar.provider.get_item(item.item_id).item_id == item.item_id
        assert time.monotonic() - started >= 1.0
        stats = calendar.sandbox.state.stats.snapshot()[calendar.name]["byOperation"]
        assert stats["fault 429"] == 1

    def test_all_day_items_use_an_exclusive_end_date(self, calendar: CalendarUnderTest
                                                     ) -> None:
        wanted = draft(is_all_day=True, start=day(3), end=day(5))
        item = calendar.provider.create_item(wanted, idempotency_key=str(uuid.uuid4()))
        again = calendar.provider.get_item(item.item_id)
        assert again.is_all_day
        assert (again.start, again.end) == (day(3), day(5))

    def test_time_zones_round_trip(self, calendar: CalendarUnderTest) -> None:
        pacific = ZoneInfo("America/Los_Angeles")
        start = at(day(8), "09:30", pacific)
        wanted = draft(start=start, end=start + timedelta(minutes=45),
                       time_zone="America/Los_Angeles")
        item = calendar.provider.create_item(wanted, idempotency_key=str(uuid.uuid4()))
        again = calendar.provider.get_item(item.item_id)
        assert again.start == start and again.end == start + timedelta(minutes=45)

    def test_push_notification_reaches_the_subscriber(self, calendar: CalendarUnderTest
                                                      ) -> None:
        with receiver() as (url, received):
            subscription = calendar.provider.subscribe(url, "s3cret-state",
                                                       datetime.now(UTC) + timedelta(days=1))
            calendar.provider.create_item(draft(), idempotency_key=str(uuid.uuid4()))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not _change_seen(received):
                time.sleep(0.05)
            assert _change_seen(received), received
            renewed = calendar.provider.renew(subscription,
                                              datetime.now(UTC) + timedelta(days=2))
            assert renewed.expires_at > subscription.expires_at - timedelta(seconds=1)
            calendar.provider.unsubscribe(renewed)
        notes = [r for r in received if r["kind"] == "change"]
        assert all(r["secret"] == "s3cret-state" for r in notes)


def _change_seen(received: list[dict[str, Any]]) -> bool:
    return any(r["kind"] == "change" for r in received)



@contextmanager
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A subscriber endpoint: answers Graph's validation handshake, records every
    notification (Graph's JSON body, Google's X-Goog-* headers or an EWS
    SendNotification)."""
    app = Flask("receiver")
    received: list[dict[str, Any]] = []

    @app.post("/hook")
    def hook() -> Response:
        token = request.args.get("validationToken")
        if token is not None:
            return Response(token, mimetype="text/plain")
        if request.mimetype == "text/xml":  # EWS: SendNotification; the secret is in the URL
            note = parse_notification(request.get_data())
            received.append({"kind": "status" if note.is_status_only else "change",
                             "secret": request.args.get("clientState")})
            return Response(notification_answer(keep=True), mimetype="text/xml")
        if request.headers.get("X-Goog-Channel-ID"):
            state = request.headers.get("X-Goog-Resource-State")
            received.append({"kind": "change" if state == "exists" else state,
                             "secret": request.headers.get("X-Goog-Channel-Token")})
            return Response(status=204)
        for note in (request.get_json(silent=True) or {}).get("value", []):
            received.append({"kind": note.get("lifecycleEvent") or "change",
                             "secret": note.get("clientState")})
        return Response(status=202)

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_a_throttled_graph_batch_step_is_sent_again(clean_sandbox: Any) -> None:
    """Graph throttles the steps of a $batch one by one: the step answered 429 (with
    Retry-After) is sent again in a batch of its own; the others are not repeated."""
    calendar = calendar_under_test(clean_sandbox, "graph")
    items = [calendar.provider.create_item(draft(subject=f"Throttled {n}"),
                                           idempotency_key=str(uuid.uuid4())) for n in range(3)]
    answer = calendar.http.post(clean_sandbox.services["faults"], json={
        "service": "graph", "status": 429, "times": 1, "retryAfter": 1, "batchStep": True})
    assert answer.status_code == 201
    clean_sandbox.state.stats.reset()
    read = calendar.provider.get_items([i.item_id for i in items])
    assert sorted(r.subject for r in read.values()) == [  # type: ignore[union-attr]
        "Throttled 0", "Throttled 1", "Throttled 2"]
    assert clean_sandbox.state.stats.snapshot()["graph"] == {
        "requests": 2, "byOperation": {"$batch": 2}}
