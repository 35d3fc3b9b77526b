"""A series end to end across {Graph, Google} x {Classic, Lightning}: created in the
sidebar (one Salesforce series, ONE calendar series), exceptions both ways, attendees of
the series (one invitation each), and the series deleted on either side."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from addin.accounts.clients import open_calendar, open_salesforce
from addin.accounts.identity import load_user
from addin.domain import Attendee, CalendarItem, ItemDraft
from addin.providers.calendar.provider import ItemNotFound, NotifyMode
from addin.providers.salesforce.series import delete_series, occurrences, series_key
from addin.sandbox import SandboxRuntime
from addin.services.event_mapping import draft_from_base
from addin.services.mirrors import find_mirror
from addin.services.series import WINDOW_DAYS
from addin.services.sync_pass import sync_user
from addin.store.models import SyncCursor, User
from tests.services.scenario import GUEST, ORGANIZERS

FIRST = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(
    days=7)
MATRIX = [(p, e) for p in ("graph", "google") for e in ("lightning", "classic")]


class SeriesScenario:
    """An organizer creates a weekly series of six from the sidebar."""

    def __init__(self, client: Any, services: Any, sandbox: SandboxRuntime,
                 http: requests.Session, bearer: Callable[[str], dict[str, str]],
                 provider: str, experience: str):
        self.client, self.services, self.sandbox = client, services, sandbox
        self.provider = provider
        self.organizer = ORGANIZERS[(provider, experience)]
        self.headers = bearer(self.organizer)
        with services.db.session() as session:
            self.user = load_user(services, session.scalar(
                select(User.id).where(User.email == self.organizer)))
        self.subject = f"Weekly pipeline {uuid.uuid4().hex[:8]}"
        body = {"subject": self.subject, "start": _z(FIRST),
                "end": _z(FIRST + timedelta(minutes=30)), "timeZone": "UTC",
                "recurrence": "FREQ=WEEKLY;COUNT=6"}
        answer = client.post("/api/v1/events", json=body, headers=self.headers)
        assert answer.status_code == 201, answer.json
        self.view = answer.json
        self.event_id, self.item_id = self.view["event"]["id"], self.view["mirror"]["itemId"]
        self.salesforce = open_salesforce(services, self.user)
        self.calendar = open_calendar(services, self.user)

    def sync(self) -> Any:
        report = sync_user(self.services, self.user.id, "test")
        assert report.failed == {}
        return report

    def occurrences(self) -> list[dict[str, Any]]:
        key = series_key(self.salesforce.get_event(self.event_id))
        assert key is not None
        return [r for r in occurrences(self.salesforce, key) if r["Subject"] == self.subject]

    def instances(self) -> list[CalendarItem]:
        now = datetime.now(UTC)
        return sorted(self.calendar.list_instances(
            self.item_id, now - timedelta(days=WINDOW_DAYS[0]),
            now + timedelta(days=WINDOW_DAYS[1])), key=lambda i: str(i.start))

    def mail(self) -> list[tuple[str, str]]:
        return [(m["to"].lower(), m["kind"]) for m in self.sandbox.state.mail.messages()]


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def series(client: Any, services: Any, clean_sandbox: SandboxRuntime,
           upstream: requests.Session, bearer: Callable[[str], dict[str, str]]
           ) -> Callable[[str, str], SeriesScenario]:
    return lambda provider, experience: SeriesScenario(client, services, clean_sandbox,
                                                       upstream, bearer, provider,
                                                       experience)


@pytest.mark.parametrize(("provider", "experience"), MATRIX)
def test_a_series_created_in_the_sidebar_is_one_calendar_series(
        series: Callable[[str, str], SeriesScenario], provider: str, experience: str
        ) -> None:
    s = series(provider, experience)
    assert s.view["event"]["recurrence"] == "RRULE:FREQ=WEEKLY;BYDAY=" + \
        FIRST.strftime("%a").upper()[:2] + ";COUNT=6"
    assert len(s.occurrences()) == 6
    master = s.calendar.get_item(s.item_id)
    assert master.recurrence is not None and "COUNT=6" in master.recurrence
    assert [i.start for i in s.instances()] == [FIRST + timedelta(weeks=n) for n in range(6)]
    assert s.mail() == []
    s.sync()
    row = find_mirror(s.services, s.user.id, s.event_id)
    assert len(row.base_fields["occurrences"]) == 6  # paired by original start
    assert s.mail() == []


@pytest.mark.parametrize(("provider", "experience"), MATRIX)
def test_an_attendee_added_to_the_series_is_invited_once(
        series: Callable[[str, str], SeriesScenario], provider: str, experience: str
        ) -> None:
    s = series(provider, experience)
    answer = s.client.put(f"/api/v1/events/{s.event_id}/attendees", headers=s.headers,
                          json={"attendees": [{"email": GUEST}]})
    assert answer.status_code == 200, answer.json
    assert s.mail() == [(GUEST, "invitation")]  # the series, not one per occurrence
    relations = {r["Id"]: s.salesforce.event_relations(r["Id"]) for r in s.occurrences()}
    assert len(relations) == 6
    assert all([r.email for r in rows if r.is_invitee] == [GUEST]
               for rows in relations.values())
    s.sandbox.state.mail.clear()
    s.sync()
    assert s.mail() == []


@pytest.mark.parametrize(("provider", "experience"), MATRIX)
def test_a_series_deleted_in_the_calendar_is_deleted_in_salesforce(
        series: Callable[[str, str], SeriesScenario], provider: str, experience: str
        ) -> None:
    s = series(provider, experience)
    s.sync()
    s.calendar.delete_item(s.item_id, notify=NotifyMode.CHANGED)
    report = s.sync()
    assert report.deleted == {s.event_id: "deleted in Salesforce"}
    assert [r for r in s.salesforce._call(lambda sf: sf.query_all(
        f"SELECT Id FROM Event WHERE Subject = '{s.subject}'"))["records"]] == []


@pytest.mark.parametrize(("provider", "experience"), MATRIX)
def test_a_series_deleted_in_salesforce_is_deleted_in_the_calendar(
        series: Callable[[str, str], SeriesScenario], provider: str, experience: str
        ) -> None:
    s = series(provider, experience)
    s.sync()
    delete_series(s.salesforce, s.event_id)
    report = s.sync()
    assert s.event_id in report.deleted
    with pytest.raises(ItemNotFound):
        s.calendar.get_item(s.item_id)
    assert s.mail() == []  # nobody was invited: an appointment series goes silently


@pytest.mark.parametrize(("provider", "experience"), MATRIX)
def test_an_exception_made_in_the_calendar_reaches_the_salesforce_occurrence(
        series: Callable[[str, str], SeriesScenario], provider: str, experience: str) -> None:
    s = series(provider, experience)
    s.sync()
    second, third = s.instances()[1:3]
    moved_to = second.start + timedelta(days=1, hours=3)  # type: ignore[operator]
    row = find_mirror(s.services, s.user.id, s.event_id)
    one = {**row.base_fields, "start": _z(moved_to),
           "end": _z(moved_to + timedelta(minutes=30)), "recurrence": None}
    s.calendar.update_fields(second.item_id, draft_from_base(one, s.event_id))
    s.calendar.delete_item(third.item_id, notify=NotifyMode.CHANGED)
    s.sync()
    live = s.occurrences()
    assert len(live) == 5  # the cancelled occurrence's Event is deleted
    starts = sorted(r["StartDateTime"][:19] for r in live)
    assert moved_to.strftime("%Y-%m-%dT%H:%M:%S") in starts
    stamps = {r["Id"]: r["SystemModstamp"] for r in live}
    etags = {i.item_id: i.etag for i in s.instances()}
    s.sync()  # its own writes come back as changes: nothing is written again
    assert {r["Id"]: r["SystemModstamp"] for r in s.occurrences()} == stamps
    assert {i.item_id: i.etag for i in s.instances()} == etags


@pytest.mark.parametrize(("provider", "experience"), MATRIX)
def test_an_exception_made_in_salesforce_reaches_the_calendar(
        series: Callable[[str, str], SeriesScenario], provider: str, experience: str) -> None:
    s = series(provider, experience)
    s.sync()
    live = s.occurrences()
    moved_to = FIRST + timedelta(weeks=1, days=1, hours=2)
    s.salesforce.update_event(live[1]["Id"], {
        "StartDateTime": _z(moved_to), "EndDateTime": _z(moved_to + timedelta(minutes=30))})
    s.salesforce.delete_event(live[3]["Id"])
    s.sync()
    found = s.instances()
    assert len(found) == 5
    assert moved_to in [i.start for i in found]
    assert FIRST + timedelta(weeks=3) not in [i.original_start for i in found]


@pytest.mark.parametrize(("provider", "experience"), MATRIX)
def test_an_attendee_added_to_one_occurrence_only(
        series: Callable[[str, str], SeriesScenario], provider: str, experience: str) -> None:
    s = series(provider, experience)
    s.sync()
    third = s.occurrences()[2]
    answer = s.client.put(f"/api/v1/events/{s.event_id}/occurrences/{third['Id']}/attendees",
                          headers=s.headers, json={"attendees": [{"email": GUEST}]})
    assert answer.status_code == 200, answer.json
    assert s.mail() == [(GUEST, "invitation")]  # to that occurrence, once
    invited = {r["Id"]: [x.email for x in s.salesforce.event_relations(r["Id"])
                         if x.is_invitee] for r in s.occurrences()}
    assert invited.pop(third["Id"]) == [GUEST]
    assert all(emails == [] for emails in invited.values())
    assert s.calendar.get_item(s.item_id).attendees == []  # the series has none
    s.sandbox.state.mail.clear()
    s.sync()
    assert s.mail() == [] and s.calendar.get_item(s.item_id).attendees == []


def test_occurrence_attendees_of_a_single_event_are_a_404(
        series: Callable[[str, str], SeriesScenario], client: Any) -> None:
    s = series("google", "lightning")
    single = client.post("/api/v1/events", headers=s.headers, json={
        "subject": "Once", "start": _z(FIRST), "end": _z(FIRST + timedelta(minutes=30))}).json
    answer = client.put(f"/api/v1/events/{single['event']['id']}/occurrences/"
                        f"{single['event']['id']}/attendees", headers=s.headers,
                        json={"attendees": [{"email": GUEST}]})
    assert answer.status_code == 404
    unknown = client.put(f"/api/v1/events/{s.event_id}/occurrences/00U000000000000AAA/"
                         "attendees", headers=s.headers, json={"attendees": []})
    assert unknown.status_code == 404
    assert s.mail() == []


@pytest.mark.parametrize(("provider", "experience"), MATRIX)
def test_a_series_started_in_the_calendar_is_made_a_meeting_in_salesforce(
        client: Any, services: Any, clean_sandbox: SandboxRuntime,
        bearer: Callable[[str], dict[str, str]], provider: str, experience: str) -> None:
    organizer = ORGANIZERS[(provider, experience)]
    with services.db.session() as session:
        user = load_user(services, session.scalar(select(User.id).where(
            User.email == organizer)))
    calendar = open_calendar(services, user)
    subject = f"Started in the calendar {uuid.uuid4().hex[:8]}"
    rule = f"FREQ=WEEKLY;BYDAY={FIRST.strftime('%a').upper()[:2]};COUNT=4"
    made = calendar.create_item(ItemDraft(subject=subject, start=FIRST,
                                          end=FIRST + timedelta(minutes=30), time_zone="UTC",
                                          recurrence=rule), idempotency_key=subject)
    calendar.replace_attendees(made.item_id, [Attendee(GUEST)], notify=NotifyMode.CHANGED)
    assert [(m["to"].lower(), m["kind"]) for m in clean_sandbox.state.mail.messages()] == [
        (GUEST, "invitation")]  # the calendar invited them to the series, once
    clean_sandbox.state.mail.clear()

    answer = client.post("/api/v1/events", headers=bearer(organizer), json={
        "subject": subject, "start": _z(FIRST), "end": _z(FIRST + timedelta(minutes=30)),
        "timeZone": "UTC", "calendarItemId": made.item_id})
    assert answer.status_code == 201, answer.json
    view = answer.json
    assert view["mirror"]["itemId"] == made.item_id  # linked, not created again
    assert view["event"]["recurrence"] == f"RRULE:{rule}"
    if provider == "google":  # Graph cannot tag a meeting silently: the store links it
        linked = calendar.find_by_salesforce_event(view["event"]["id"])
        assert linked is not None and linked.item_id == made.item_id
    again = client.post("/api/v1/events", headers=bearer(organizer), json={
        "subject": subject, "start": _z(FIRST), "end": _z(FIRST + timedelta(minutes=30)),
        "timeZone": "UTC", "calendarItemId": made.item_id})
    assert again.status_code == 400 and "calendarItemId" in again.json["error"]["fields"]

    report = sync_user(services, user.id, "test")
    assert report.failed == {}
    salesforce = open_salesforce(services, user)
    key = series_key(salesforce.get_event(view["event"]["id"]))
    assert key is not None
    live = [r for r in occurrences(salesforce, key) if r["Subject"] == subject]
    assert len(live) == 4
    assert all([x.email for x in salesforce.event_relations(r["Id"]) if x.is_invitee]
               == [GUEST] for r in live)
    assert clean_sandbox.state.mail.messages() == []  # nobody was invited a second time


@pytest.mark.parametrize(("provider", "experience"), MATRIX)
def test_a_series_cancelled_from_the_sidebar_is_gone_on_both_sides_told_once(
        series: Callable[[str, str], SeriesScenario], provider: str, experience: str
        ) -> None:
    s = series(provider, experience)
    assert s.client.put(f"/api/v1/events/{s.event_id}/attendees", headers=s.headers,
                        json={"attendees": [{"email": GUEST}]}).status_code == 200
    s.sandbox.state.mail.clear()
    answer = s.client.delete(f"/api/v1/events/{s.event_id}", headers=s.headers)
    assert answer.status_code == 200, answer.json
    assert s.mail() == [(GUEST, "cancellation")]  # the series, once
    assert not [
        r for r in s.salesforce._call(lambda sf: sf.query_all(
            f"SELECT Id FROM Event WHERE Subject = '{s.subject}'"))["records"]]
    with pytest.raises(ItemNotFound):
        s.calendar.get_item(s.item_id)


@pytest.mark.parametrize(("provider", "experience"), MATRIX)
def test_an_invitee_added_to_the_series_in_salesforce_is_invited_once(
        series: Callable[[str, str], SeriesScenario], upstream: requests.Session,
        provider: str, experience: str) -> None:
    s = series(provider, experience)
    s.sync()
    answer = upstream.post(f"{s.sandbox.origins['salesforce']}/sandbox-ui/events/"
                           f"{s.event_id}/invitees", json={"add": [GUEST], "scope": "series"})
    assert answer.status_code == 200, answer.text
    s.sync()
    s.sync()  # and nothing more on the next pass
    invitations = [m for m in s.sandbox.state.mail.messages()
                   if m["to"].lower() == GUEST and m["kind"] == "invitation"]
    classic = experience == "classic"
    assert [m["sender"] for m in invitations] == ["salesforce" if classic else provider]
    held = provider == "graph" and classic  # the hold policy keeps them out of Outlook
    attendees = [a.email for a in s.calendar.get_item(s.item_id).attendees_besides_organizer()]
    assert attendees == ([] if held else [GUEST])


@pytest.mark.parametrize("provider", ["graph", "google"])
def test_an_all_day_series_pairs_by_day_and_takes_a_salesforce_exception(
        client: Any, services: Any, clean_sandbox: SandboxRuntime,
        bearer: Callable[[str], dict[str, str]], provider: str) -> None:
    organizer = ORGANIZERS[(provider, "lightning")]
    with services.db.session() as session:
        user = load_user(services, session.scalar(select(User.id).where(
            User.email == organizer)))
    first = FIRST.date()
    subject = f"Offsite {uuid.uuid4().hex[:8]}"
    answer = client.post("/api/v1/events", headers=bearer(organizer), json={
        "subject": subject, "isAllDay": True, "start": first.isoformat(),
        "end": first.isoformat(), "timeZone": "UTC", "recurrence": "FREQ=WEEKLY;COUNT=4"})
    assert answer.status_code == 201, answer.json
    event_id = answer.json["event"]["id"]
    assert sync_user(services, user.id, "test").failed == {}
    row = find_mirror(services, user.id, event_id)
    assert sorted(row.base_fields["occurrences"]) == [
        (first + timedelta(weeks=n)).isoformat() for n in range(4)]
    salesforce = open_salesforce(services, user)
    key = series_key(salesforce.get_event(event_id))
    assert key is not None
    second = [r for r in occurrences(salesforce, key) if r["Subject"] == subject][1]
    moved = first + timedelta(weeks=1, days=1)
    salesforce.update_event(second["Id"], {"ActivityDate": moved.isoformat(),
                                           "EndDate": moved.isoformat()})
    assert sync_user(services, user.id, "test").failed == {}
    calendar = open_calendar(services, user)
    now = datetime.now(UTC)
    days = sorted(str(i.start) for i in calendar.list_instances(
        answer.json["mirror"]["itemId"], now - timedelta(days=30), now + timedelta(days=365)))
    assert days == sorted(d.isoformat() for d in (first, moved, first + timedelta(weeks=2),
                                                  first + timedelta(weeks=3)))
    assert clean_sandbox.state.mail.messages() == []


@pytest.mark.parametrize(("provider", "experience"), MATRIX)
def test_the_series_renamed_on_either_side_is_renamed_on_the_other(
        series: Callable[[str, str], SeriesScenario], upstream: requests.Session,
        provider: str, experience: str) -> None:
    s = series(provider, experience)
    s.sync()
    s.calendar.rename_item(s.item_id, s.subject + " (renamed)", "Room 7")
    s.sync()
    key = series_key(s.salesforce.get_event(s.event_id))
    assert key is not None
    live = [r for r in occurrences(s.salesforce, key) if r["Subject"].startswith(s.subject)]
    assert len(live) == 6
    assert {(r["Subject"], r["Location"]) for r in live} == {(s.subject + " (renamed)",
                                                              "Room 7")}
    answer = upstream.post(f"{s.sandbox.origins['salesforce']}/sandbox-ui/events/"
                           f"{live[0]['Id']}/edit", json={
                               "fields": {"Subject": "Quarterly pipeline"}, "scope": "series"})
    assert answer.status_code == 200, answer.text
    s.sync()
    master = s.calendar.get_item(s.item_id)
    assert (master.subject, master.location) == ("Quarterly pipeline", "Room 7")
    assert len(s.instances()) == 6
    assert s.mail() == []


@pytest.mark.parametrize("provider", ["graph", "google"])
def test_a_pattern_changed_in_salesforce_never_deletes_the_calendar_series(
        series: Callable[[str, str], SeriesScenario], provider: str) -> None:
    s = series(provider, "lightning")
    s.sync()
    third = s.occurrences()[2]
    s.salesforce.update_event(third["Id"], {
        "Recurrence2PatternText": "RRULE:FREQ=WEEKLY;BYDAY=" + FIRST.strftime("%a").upper()[:2]
        + ";COUNT=2"})  # Salesforce deletes the series from there on and makes a new one
    report = sync_user(s.services, s.user.id, "test")
    assert "repeat pattern was changed in Salesforce" in report.failed[s.event_id]
    assert len(s.instances()) == 6  # nothing cancelled in the calendar
    assert s.mail() == []
    assert sync_user(s.services, s.user.id, "test").failed == {}  # no longer mirrored


def _requests_since_reset(s: SeriesScenario) -> tuple[int, int]:
    """(Salesforce, calendar) HTTP requests since the stats were reset."""
    stats = s.sandbox.state.stats.snapshot()
    return (int(stats.get("salesforce", {}).get("requests", 0)),
            int(stats.get(s.provider, {}).get("requests", 0)))


@pytest.mark.parametrize("provider", ["graph", "google"])
def test_an_idle_pass_reads_nothing_more_for_a_mirrored_series(
        series: Callable[[str, str], SeriesScenario], provider: str) -> None:
    """The batched pass with a series mirrored: once its own writes have come back, a poll
    costs what it costs without one, the calendar feed and the one Salesforce composite."""
    s = series(provider, "lightning")
    s.sync()  # pairs the occurrences
    s.sync()  # their echoes (and the skew window) settle
    with s.services.db.session() as session:  # the Salesforce cursor past the skew window
        cursor = session.scalar(select(SyncCursor).where(
            SyncCursor.user_id == s.user.id, SyncCursor.source == "salesforce_events"))
        assert cursor is not None
        cursor.cursor = (datetime.now(UTC) + timedelta(seconds=10)).isoformat()
    s.sandbox.state.stats.reset()
    report = s.sync()
    assert report.reconciled == [] and report.deleted == {}
    assert _requests_since_reset(s) == (1, 1)


@pytest.mark.parametrize("provider", ["graph", "google"])
def test_a_calendar_notification_about_an_exception_reaches_salesforce(
        series: Callable[[str, str], SeriesScenario], provider: str) -> None:
    """A pass started by the calendar's notification skips the Salesforce change read, yet
    the series whose occurrence moved is reconciled (it reads its own occurrences)."""
    s = series(provider, "lightning")
    s.sync()
    second = s.instances()[1]
    moved_to = second.start + timedelta(hours=2)  # type: ignore[operator]
    row = find_mirror(s.services, s.user.id, s.event_id)
    one = {**row.base_fields, "start": _z(moved_to),
           "end": _z(moved_to + timedelta(minutes=30)), "recurrence": None}
    s.calendar.update_fields(second.item_id, draft_from_base(one, s.event_id))
    report = sync_user(s.services, s.user.id, f"{provider}:updated")
    assert report.failed == {} and s.event_id in report.reconciled
    starts = sorted(r["StartDateTime"][:19] for r in s.occurrences())
    assert moved_to.strftime("%Y-%m-%dT%H:%M:%S") in starts
    assert s.mail() == []


@pytest.mark.parametrize(("provider", "experience"), [("graph", "lightning"),
                                                      ("google", "classic")])
def test_a_series_whose_first_occurrence_was_deleted_lives_on(
        series: Callable[[str, str], SeriesScenario], provider: str, experience: str) -> None:
    """The first occurrence's Event id is the series' handle in the API; deleting that
    occurrence in Salesforce cancels that occurrence only, and the sidebar still opens and
    edits the series."""
    s = series(provider, experience)
    s.sync()
    live = s.occurrences()
    s.salesforce.delete_event(live[0]["Id"])
    report = s.sync()
    assert report.deleted == {}
    found = s.instances()
    assert [i.start for i in found] == [FIRST + timedelta(weeks=n) for n in range(1, 6)]
    answer = s.client.get(f"/api/v1/events/{s.event_id}", headers=s.headers)
    assert answer.status_code == 200, answer.json
    event = answer.json["event"]
    assert event["recurrence"] is not None and event["subject"] == s.subject
    assert event["start"] == _z(FIRST + timedelta(weeks=1))
    assert event["url"].endswith(live[1]["Id"]) and event["id"] == s.event_id
    answer = s.client.put(f"/api/v1/events/{s.event_id}/attendees", headers=s.headers,
                          json={"attendees": [{"email": GUEST}]})
    assert answer.status_code == 200, answer.json
    assert answer.json["event"]["id"] == s.event_id
    assert s.mail() == [(GUEST, "invitation")]
    assert all([r.email for r in s.salesforce.event_relations(str(o["Id"])) if r.is_invitee]
               == [GUEST] for o in live[1:])
