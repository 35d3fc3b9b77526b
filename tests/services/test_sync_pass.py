"""The sync pass: what it looks at, and what it leaves alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from addin.accounts.clients import open_calendar, open_salesforce
from addin.providers.calendar.provider import NotifyMode
from addin.services import attendees, sync_pass
from addin.services.sync_pass import sync_user
from addin.store.models import SyncCursor
from tests.clock import at, day, z
from tests.services.scenario import GUEST, GUEST_ID, Scenario


def _skip_salesforce_until_now(s: Scenario) -> None:
    """Move the Salesforce high-water mark past the skew window, so only the calendar's
    change feed decides what the next pass looks at."""
    with s.services.db.session() as session:
        cursor = session.scalar(select(SyncCursor).where(
            SyncCursor.user_id == s.user.id, SyncCursor.source == "salesforce_events"))
        assert cursor is not None
        cursor.cursor = (datetime.now(UTC) + timedelta(seconds=10)).isoformat()


def _calendar_reads(s: Scenario) -> int:
    operations = s.sandbox.state.stats.snapshot().get(s.provider, {}).get("byOperation", {})
    return int(operations.get("events.get", 0))


def test_the_products_own_calendar_write_is_not_reconciled_again(
        scenario: Callable[[str, str], Scenario]) -> None:
    for provider in ("graph", "google"):
        s = scenario(provider, "lightning")
        s.change("salesforce", [], {"add": [GUEST]})  # the pass writes the calendar item
        assert s.calendar_attendees() == [GUEST]
        _skip_salesforce_until_now(s)
        s.sandbox.state.stats.reset()
        report = sync_user(s.services, s.user.id, "echo")
        assert s.event_id not in report.reconciled and _calendar_reads(s) == 0


def test_a_calendar_change_after_the_products_write_is_reconciled(
        scenario: Callable[[str, str], Scenario]) -> None:
    s = scenario("google", "lightning")
    s.change("salesforce", [], {"add": [GUEST]})
    _skip_salesforce_until_now(s)
    s.change("calendar", [GUEST, "walk.in@unlinked.example"], {})
    view = s.client.get(f"/api/v1/events/{s.event_id}", headers=s.headers).json
    assert sorted(a["email"] for a in view["attendees"]) == [GUEST, "walk.in@unlinked.example"]


class _ChangedAfterRead:
    """A calendar provider whose every read is followed, before the caller's write, by the
    organizer editing the item's subject in the calendar."""

    def __init__(self, real: Any, s: Scenario):
        self.real, self.s = real, s

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def list_changes(self, cursor: str | None) -> Any:
        """The pass reads the change feed first: the edit follows that read too."""
        page = self.real.list_changes(cursor)
        if any(item.item_id == self.s.item_id for item in page.changed):
            self._edit(self.s.item_id)  # earlier tests' meetings may be listed too
        return page

    def get_items(self, item_ids: list[str]) -> Any:
        """The pass reads items in batches: the same edit follows each batch's read."""
        items = self.real.get_items(item_ids)
        if self.s.item_id in item_ids:
            self._edit(self.s.item_id)
        return items

    def get_item(self, item_id: str) -> Any:
        item = self.real.get_item(item_id)
        self._edit(item_id)
        return item

    def _edit(self, item_id: str) -> None:
        if self.s.provider == "graph":
            url = (f"{self.s.sandbox.origins['graph']}/sandbox-ui/mailboxes/{self.s.organizer}"
                   f"/events/{item_id}/edit")
            body = {"subject": "Renamed meanwhile"}
        else:
            url = (f"{self.s.sandbox.origins['google']}/sandbox-ui/calendars/{self.s.organizer}"
                   f"/events/{item_id}/edit")
            body = {"summary": "Renamed meanwhile"}
        assert self.s.http.post(url, json=body).status_code == 200


def test_a_calendar_edit_between_read_and_write_is_not_overwritten(
        scenario: Callable[[str, str], Scenario], monkeypatch: pytest.MonkeyPatch) -> None:
    for provider in ("graph", "google"):
        s = scenario(provider, "lightning")
        answer = s.http.post(f"{s.sandbox.origins['salesforce']}/sandbox-ui/events/"
                             f"{s.event_id}/invitees", json={"add": [GUEST]})
        assert answer.status_code == 200
        real = sync_pass.open_calendar
        monkeypatch.setattr(sync_pass, "open_calendar", lambda services, user, real=real, s=s:
                            _ChangedAfterRead(real(services, user), s))
        report = sync_user(s.services, s.user.id, "race")
        assert "EtagMismatch" in report.failed[s.event_id]  # the write was refused
        monkeypatch.setattr(sync_pass, "open_calendar", real)
        assert sync_user(s.services, s.user.id, "after").failed == {}
        record = open_salesforce(s.services, s.user).get_event(s.event_id)
        assert record["Subject"] == "Renamed meanwhile"  # the edit reached Salesforce
        assert s.calendar_attendees() == [GUEST]
        assert s.mail() == [(provider, GUEST, "invitation")]


def test_the_sidebar_says_when_the_meeting_changed_meanwhile(
        scenario: Callable[[str, str], Scenario], monkeypatch: pytest.MonkeyPatch) -> None:
    s = scenario("google", "lightning")
    # a change the product has not seen yet: its write against the stored etag fails,
    # it reads the item, and the organizer edits again before the write that follows
    edit = (f"{s.sandbox.origins['google']}/sandbox-ui/calendars/{s.organizer}/events/"
            f"{s.item_id}/edit")
    assert s.http.post(edit, json={"location": "Room 9"}).status_code == 200
    real = attendees.open_calendar
    monkeypatch.setattr(attendees, "open_calendar",
                        lambda services, user: _ChangedAfterRead(real(services, user), s))
    answer = s.client.put(f"/api/v1/events/{s.event_id}/attendees", headers=s.headers,
                          json={"attendees": [{"email": GUEST}]})
    assert answer.status_code == 409 and answer.json["error"]["code"] == "changed_meanwhile"
    assert s.mail() == [] and s.invitees() == []  # nothing half-written
    monkeypatch.setattr(attendees, "open_calendar", real)
    again = s.client.put(f"/api/v1/events/{s.event_id}/attendees", headers=s.headers,
                         json={"attendees": [{"email": GUEST}]})
    assert again.status_code == 200
    assert s.mail() == [("google", GUEST, "invitation")]


def test_a_meeting_moved_out_of_the_delta_window_survives_in_salesforce(
        scenario: Callable[[str, str], Scenario]) -> None:
    """Graph's calendarView delta reports an item moved beyond its window as @removed, like
    a deleted one: the pass looks before it deletes, moves the Event instead, and keeps
    following the item directly while the feed no longer covers it."""
    s = scenario("graph", "lightning")
    assert sync_user(s.services, s.user.id, "first").failed == {}  # the delta cursor
    edit = (f"{s.sandbox.origins['graph']}/sandbox-ui/mailboxes/{s.organizer}/events/"
            f"{s.item_id}/edit")
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=730)
    wall = "%Y-%m-%dT%H:%M:%S"
    moved = {"start": {"dateTime": later.strftime(wall), "timeZone": "UTC"},
             "end": {"dateTime": (later + timedelta(minutes=45)).strftime(wall),
                     "timeZone": "UTC"}}
    assert s.http.post(edit, json=moved).status_code == 200
    page = open_calendar(s.services, s.user).list_changes(_delta_link(s))
    assert s.item_id in page.removed  # what Graph says about a move out of the window
    report = sync_user(s.services, s.user.id, "moved")
    assert report.failed == {} and report.deleted == {}
    salesforce = open_salesforce(s.services, s.user)
    record = salesforce.get_event(s.event_id)
    assert record["StartDateTime"] == later.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    assert record["DurationInMinutes"] == 45
    _skip_salesforce_until_now(s)
    report = sync_user(s.services, s.user.id, "quiet")
    assert s.event_id not in report.reconciled  # nothing new: not reconciled again
    assert s.http.post(edit, json={"subject": "Renamed far ahead"}).status_code == 200
    sync_user(s.services, s.user.id, "renamed")
    assert salesforce.get_event(s.event_id)["Subject"] == "Renamed far ahead"
    open_calendar(s.services, s.user).delete_item(s.item_id, notify=NotifyMode.CHANGED)
    report = sync_user(s.services, s.user.id, "deleted")
    assert report.deleted == {s.event_id: "deleted in Salesforce"}


def _delta_link(s: Scenario) -> str:
    with s.services.db.session() as session:
        cursor = session.scalar(select(SyncCursor).where(
            SyncCursor.user_id == s.user.id, SyncCursor.source == "graph_changes"))
        assert cursor is not None
        return str(cursor.cursor)


@pytest.mark.parametrize("policy", ["hold", "mirror"])
def test_the_same_person_added_on_both_sides_at_once_graph_classic(
        scenario: Callable[[str, str], Scenario], admin_headers: Callable[[], dict[str, str]],
        policy: str) -> None:
    """Graph + Classic: a person added in Salesforce Classic (which emailed them) and in
    Outlook (which emailed them too) between two passes. The hold policy kept them out of
    Outlook, where they already were, which needed a silent Graph update: the pass raised
    SilentUpdateUnsupported for a policy decision. They are in both places: nothing to
    write, nothing to send."""
    s = scenario("graph", "classic")
    answer = s.client.patch("/api/v1/admin/settings", headers=admin_headers(),
                            json={"graphClassicPolicy": policy})
    assert answer.status_code == 200, answer.json
    s.change("salesforce", [], {"add": [GUEST]}, then_sync=False)
    s.change("calendar", [GUEST], {}, then_sync=False)
    sent = s.mail()
    assert sorted(sent) == [("graph", GUEST, "invitation"), ("salesforce", GUEST, "invitation")]
    report = sync_user(s.services, s.user.id, "test")
    assert report.failed == {} and s.event_id in report.reconciled
    assert s.calendar_attendees() == [GUEST]
    assert s.invitees() == [GUEST_ID]
    assert s.mail() == sent  # the pass emailed nobody
    view = s.client.get(f"/api/v1/events/{s.event_id}", headers=s.headers).json
    assert [(a["email"], a.get("held", False)) for a in view["attendees"]] == [(GUEST, False)]
    again = sync_user(s.services, s.user.id, "test")
    assert again.failed == {} and s.mail() == sent


def _requests(s: Scenario) -> tuple[int, int]:
    """(Salesforce, calendar) requests since the stats were reset."""
    stats = s.sandbox.state.stats.snapshot()
    return (int(stats.get("salesforce", {}).get("requests", 0)),
            int(stats.get(s.provider, {}).get("requests", 0)))


def _mirror_more(s: Scenario, count: int) -> list[str]:
    ids = []
    start = at(day(14), "10:00")  # Monday after the test week
    for number in range(count):
        view = s.client.post("/api/v1/events", headers=s.headers, json={
            "subject": f"Economy {number}", "start": z(start),
            "end": z(start + timedelta(minutes=30))}).json
        ids.append(view["event"]["id"])
    return ids


@pytest.mark.parametrize("provider", ["graph", "google"])
def test_request_counts_do_not_grow_with_unchanged_events(
        scenario: Callable[[str, str], Scenario], provider: str) -> None:
    """Idle: one Salesforce request and one calendar request, with 1 mirror or 31. Thirty
    Events changed in Salesforce: still one Salesforce request (the changes and their
    relations come together) and the calendar writes in batches (Graph 20, Google 50)."""
    s = scenario(provider, "lightning")
    assert sync_user(s.services, s.user.id, "first").failed == {}
    _skip_salesforce_until_now(s)
    s.sandbox.state.stats.reset()
    assert sync_user(s.services, s.user.id, "poll").failed == {}
    assert _requests(s) == (1, 1)
    changed = _mirror_more(s, 30)
    assert sync_user(s.services, s.user.id, "settle").failed == {}  # echoes of the creates
    _skip_salesforce_until_now(s)
    s.sandbox.state.stats.reset()
    assert sync_user(s.services, s.user.id, "poll").failed == {}
    assert _requests(s) == (1, 1)  # 31 mirrors: the same
    for event_id in changed:
        answer = s.http.post(f"{s.sandbox.origins['salesforce']}/sandbox-ui/events/"
                             f"{event_id}/invitees", json={"add": [GUEST]})
        assert answer.status_code == 200
    s.sandbox.state.stats.reset()
    report = sync_user(s.services, s.user.id, "poll")
    assert report.failed == {} and set(changed) <= set(report.reconciled)
    salesforce_requests, calendar_requests = _requests(s)
    assert salesforce_requests <= 3
    assert calendar_requests == 1 + (2 if provider == "graph" else 1)  # feed + batches
    assert s.mail().count((provider, GUEST, "invitation")) == 30


def test_a_push_about_the_products_own_write_costs_no_salesforce_request(
        scenario: Callable[[str, str], Scenario]) -> None:
    for provider in ("graph", "google"):
        s = scenario(provider, "lightning")
        s.change("salesforce", [], {"add": [GUEST]})  # the pass writes the calendar item
        s.sandbox.state.stats.reset()
        report = sync_user(s.services, s.user.id, f"{provider}:updated")
        assert report.reconciled == [] and _requests(s) == (0, 1)  # the feed read only


@pytest.mark.parametrize("provider", ["graph", "google"])
def test_a_pass_that_dies_between_its_calendar_and_salesforce_writes_loses_nothing(
        scenario: Callable[[str, str], Scenario], provider: str) -> None:
    """The batched pass sends its writes at its end. Dying after the calendar's and before
    Salesforce's (a killed worker) must leave the last agreed state stored, so the next
    pass still takes the calendar's new attendee to Salesforce, rather than reading the
    missing invitee as removed in Salesforce and cancelling them."""
    from addin.services import failpoints
    s = scenario(provider, "lightning")
    s.change("calendar", [GUEST], {}, then_sync=False)
    failpoints.arm("sync.after_calendar=raise")
    try:
        with pytest.raises(failpoints.InjectedFault):
            sync_user(s.services, s.user.id, "poll")
    finally:
        failpoints.arm("")
    assert sync_user(s.services, s.user.id, "poll").failed == {}
    assert s.calendar_attendees() == [GUEST]
    assert s.invitees() == [GUEST_ID]
    assert [m for m in s.mail() if m[2] == "cancellation"] == []
