"""Recurring series in the EWS emulator (addin/sandbox/ews/recurrence.py, series.py),
driven by exchangelib, unmodified: Recurrence on CreateItem, RecurringMaster /
Occurrence / Exception, CalendarView expansion, OccurrenceItemId and
RecurringMasterItemId, Modified/DeletedOccurrences, and the emails of a series."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import requests
from exchangelib import Account, Attendee, CalendarItem, EWSDate, EWSDateTime, EWSTimeZone
from exchangelib import Mailbox as EwsMailbox
from exchangelib.errors import (
    ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange,
    ErrorCalendarOccurrenceIsDeletedFromRecurrence,
    ErrorItemNotFound,
    ErrorOccurrenceCrossingBoundary,
)
from exchangelib.recurrence import (
    EndDatePattern,
    NumberedPattern,
    Recurrence,
    RelativeMonthlyPattern,
    WeeklyPattern,
)

from addin.sandbox import SandboxRuntime
from tests.clock import at, compact, day, dst_change, iso, ymd, z
from tests.sandbox.conftest import EVE, FINN

UTC = EWSTimeZone("UTC")
BERLIN = EWSTimeZone("Europe/Berlin")
GUEST = "noah.smith@acme.example"


def ews(when: datetime, tz: EWSTimeZone = UTC) -> EWSDateTime:
    """The instant as exchangelib's EWSDateTime in ``tz``."""
    local = when.astimezone(tz)
    return EWSDateTime(local.year, local.month, local.day, local.hour, local.minute,
                       local.second, tzinfo=tz)


def thursday(n: int = 0, hhmm: str = "10:00") -> datetime:
    """The ``n``-th occurrence of ``weekly_series`` (Thursdays from the test week's), or that
    day at ``hhmm`` UTC."""
    return at(day(3 + 7 * n), hhmm)


def first_thursdays(month: date, months: int) -> list[date]:
    """The first Thursdays of ``months`` months in a row from ``month``'s."""
    found = []
    month = month.replace(day=1)
    for _ in range(months):
        found.append(month + timedelta(days=(3 - month.weekday()) % 7))
        month = (month + timedelta(days=32)).replace(day=1)
    return found


def mails(sandbox: SandboxRuntime) -> list[tuple[str, str, str | None]]:
    return [(m["kind"], m["to"], m.get("scope")) for m in sandbox.state.mail.messages()
            if m["sender"] == "ews"]


def weekly_series(account: Account, subject: str, count: int = 4, **extra: Any
                  ) -> CalendarItem:
    item = CalendarItem(
        account=account, folder=account.calendar, subject=subject,
        start=ews(thursday()), end=ews(thursday(0, "11:00")),
        recurrence=Recurrence(pattern=WeeklyPattern(interval=1,
                                                    weekdays=[day(3).isoweekday()]),
                              boundary=NumberedPattern(start=EWSDate.from_date(day(3)),
                                                       number=count)), **extra)
    item.save(send_meeting_invitations="SendToAllAndSaveCopy")
    return item


def fetch(account: Account, item_id: Any) -> CalendarItem:
    """One item by id (an ItemId, OccurrenceItemId or RecurringMasterItemId); exchangelib
    hands item-level errors back as values: raise them."""
    (found,) = list(account.fetch(ids=[item_id]))
    if isinstance(found, Exception):
        raise found
    assert isinstance(found, CalendarItem)
    return found


def view(account: Account, master_id: str) -> list[CalendarItem]:
    found = account.calendar.view(start=ews(at(day(-28), "00:00")),
                                  end=ews(at(day(56), "00:00")))
    return [i for i in found if str(i.id).startswith(master_id)]


def test_a_series_is_one_master_with_occurrences(ews_for: Callable[..., Account],
                                                 clean_sandbox: SandboxRuntime) -> None:
    account = ews_for(EVE)
    master = weekly_series(account, "EWS weekly",
                           required_attendees=[Attendee(mailbox=EwsMailbox(
                               email_address=GUEST))])
    assert mails(clean_sandbox) == [("invitation", GUEST, None)]  # one for the series
    read = account.calendar.get(id=master.id)
    assert read.type == "RecurringMaster" and read.is_recurring is True
    assert isinstance(read.recurrence.pattern, WeeklyPattern)
    assert read.recurrence.pattern.weekdays == [day(3).isoweekday()]  # 4: Thursday
    assert read.recurrence.boundary.number == 4
    assert read.first_occurrence.start == ews(thursday(0))
    assert read.last_occurrence.start == ews(thursday(3))
    occurrences = view(account, master.id)
    assert [(o.type, o.start.day) for o in occurrences] == [
        ("Occurrence", thursday(n).day) for n in range(4)]
    assert master.id not in [o.id for o in occurrences]  # a view lists no masters
    second = fetch(account, master.occurrence(2)._id)
    assert (second.type, second.start.day) == ("Occurrence", thursday(1).day)
    assert second.recurrence_id == ews(thursday(1))
    again = fetch(account, second.recurring_master()._id)
    assert again.id == master.id
    with pytest.raises(ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange):
        fetch(account, master.occurrence(5)._id)


def test_moving_one_occurrence_makes_an_exception(ews_for: Callable[..., Account],
                                                  clean_sandbox: SandboxRuntime) -> None:
    account = ews_for(FINN)
    master = weekly_series(account, "EWS moved", required_attendees=[
        Attendee(mailbox=EwsMailbox(email_address=GUEST))])
    clean_sandbox.state.mail.clear()
    second = fetch(account, master.occurrence(2)._id)
    second.subject = "EWS moved once"
    moved_to = at(day(11), "15:00")  # the Friday after
    second.start = ews(moved_to)
    second.end = ews(moved_to + timedelta(hours=1))
    second.save(update_fields=["subject", "start", "end"],
                send_meeting_invitations="SendToAllAndSaveCopy")
    assert mails(clean_sandbox) == [("update", GUEST, "occurrence")]
    found = view(account, master.id)
    assert [(o.type, o.subject, o.start.day) for o in found] == [
        ("Occurrence", "EWS moved", thursday(0).day),
        ("Exception", "EWS moved once", moved_to.day),
        ("Occurrence", "EWS moved", thursday(2).day),
        ("Occurrence", "EWS moved", thursday(3).day)]
    read = account.calendar.get(id=master.id)
    assert [(o.start.day, o.original_start.day) for o in read.modified_occurrences] == [
        (moved_to.day, thursday(1).day)]
    clean_sandbox.state.mail.clear()
    read.subject = "EWS moved (all)"
    read.save(update_fields=["subject"], send_meeting_invitations="SendToAllAndSaveCopy")
    assert mails(clean_sandbox) == [("update", GUEST, None), ("update", GUEST, "occurrence")]
    read = account.calendar.get(id=master.id)
    crossing = fetch(account, master.occurrence(3)._id)
    crossing.start = ews(thursday(3, "09:00"))  # before the next occurrence, same day
    crossing.end = ews(thursday(3, "09:30"))
    with pytest.raises(ErrorOccurrenceCrossingBoundary):
        crossing.save(update_fields=["start", "end"], send_meeting_invitations="SendToNone")
    read.recurrence = Recurrence(pattern=WeeklyPattern(interval=1, weekdays=[
                                     day(3).isoweekday(), day(4).isoweekday()]),
                                 boundary=NumberedPattern(start=EWSDate.from_date(day(3)),
                                                          number=4))
    read.save(update_fields=["recurrence"], send_meeting_invitations="SendToNone")
    assert {o.type for o in view(account, master.id)} == {"Occurrence"}  # exceptions gone
    moved = fetch(account, master.occurrence(2)._id)
    moved.subject = "EWS moved again"
    moved.save(update_fields=["subject"], send_meeting_invitations="SendToNone")
    clean_sandbox.state.mail.clear()
    account.calendar.get(id=master.id).delete(
        send_meeting_cancellations="SendToAllAndSaveCopy")
    # the series' cancellation, then one for its edited occurrence (MS-OXOCAL)
    assert mails(clean_sandbox) == [("cancellation", GUEST, None),
                                    ("cancellation", GUEST, "occurrence")]


def test_deleting_one_occurrence(ews_for: Callable[..., Account],
                                 clean_sandbox: SandboxRuntime) -> None:
    account = ews_for(EVE)
    master = weekly_series(account, "EWS deleted", required_attendees=[
        Attendee(mailbox=EwsMailbox(email_address=GUEST))])
    clean_sandbox.state.mail.clear()
    third = fetch(account, master.occurrence(3)._id)
    third.delete(send_meeting_cancellations="SendToAllAndSaveCopy")
    assert mails(clean_sandbox) == [("cancellation", GUEST, "occurrence")]
    assert [o.start.day for o in view(account, master.id)] == [
        thursday(n).day for n in (0, 1, 3)]
    read = account.calendar.get(id=master.id)
    assert [d.start.day for d in read.deleted_occurrences] == [thursday(2).day]
    with pytest.raises(ErrorCalendarOccurrenceIsDeletedFromRecurrence):
        fetch(account, master.occurrence(3)._id)
    clean_sandbox.state.mail.clear()
    read.delete(send_meeting_cancellations="SendToAllAndSaveCopy")
    assert mails(clean_sandbox) == [("cancellation", GUEST, None)]  # one for the series
    assert view(account, master.id) == []


def test_an_end_date_series_keeps_its_wall_time_across_dst(
        ews_for: Callable[..., Account]) -> None:
    """The first Thursday of three months at 09:00 in Berlin, the clocks springing forward
    (the next change, from the zone database) after the first: 09:00 local each time."""
    account = ews_for(EVE)
    changed = dst_change("Europe/Berlin", forward=True)
    thursdays = first_thursdays(changed, 3)
    nine = [at(t, "09:00", BERLIN) for t in thursdays]
    assert thursdays[0] < changed and nine[0].utcoffset() != nine[1].utcoffset()
    following = (thursdays[-1].replace(day=28) + timedelta(days=4)).replace(day=1)
    item = CalendarItem(
        account=account, folder=account.calendar, subject="EWS Berlin",
        start=ews(nine[0], BERLIN), end=ews(nine[0] + timedelta(hours=1), BERLIN),
        recurrence=Recurrence(pattern=RelativeMonthlyPattern(
            interval=1, weekday=thursdays[0].isoweekday(), week_number=1),
                              boundary=EndDatePattern(
                                  start=EWSDate.from_date(thursdays[0]),
                                  end=EWSDate.from_date(following - timedelta(days=1)))))
    item.save(send_meeting_invitations="SendToNone")
    found = account.calendar.view(start=ews(at(thursdays[0].replace(day=1), "00:00")),
                                  end=ews(at((following + timedelta(days=32)).replace(day=1),
                                             "00:00")))
    mine = [o for o in found if str(o.id).startswith(item.id)]
    assert [(o.start.astimezone(BERLIN).day, o.start.astimezone(BERLIN).hour) for o in mine] \
        == [(t.day, 9) for t in thursdays]  # first Thursdays; summer time after the first


def test_a_bad_recurrence_is_refused(clean_sandbox: SandboxRuntime,
                                     upstream: requests.Session) -> None:
    user = clean_sandbox.user(EVE)
    body = f"""<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
 xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Body>
<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem>
<t:Subject>Bad</t:Subject><t:Start>{z(thursday())}</t:Start>
<t:End>{z(thursday(0, "11:00"))}</t:End><t:Recurrence><t:WeeklyRecurrence>
<t:Interval>1</t:Interval><t:DaysOfWeek>Funday</t:DaysOfWeek></t:WeeklyRecurrence>
<t:NumberedRecurrence><t:StartDate>{ymd(day(3))}</t:StartDate>
<t:NumberOfOccurrences>3</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>
</t:CalendarItem></m:Items></m:CreateItem></s:Body></s:Envelope>"""
    answer = upstream.post(clean_sandbox.services["ews"], data=body.encode(), auth=(
        EVE, user.upstream_tokens["ews"]), headers={"Content-Type": "text/xml"})
    assert answer.status_code == 200
    assert "ErrorCalendarInvalidRecurrence" in answer.text
    assert 'ResponseClass="Error"' in answer.text


def test_an_occurrence_edited_in_outlook(ews_for: Callable[..., Account],
                                         clean_sandbox: SandboxRuntime,
                                         upstream: requests.Session) -> None:
    account = ews_for(EVE)
    master = weekly_series(account, "EWS in Outlook", required_attendees=[
        Attendee(mailbox=EwsMailbox(email_address=GUEST))])
    clean_sandbox.state.mail.clear()
    second = view(account, master.id)[1]
    edited = upstream.post(f"{clean_sandbox.origins['ews']}/sandbox-ui/mailboxes/{EVE}/items/"
                           f"{second.id}/edit", json={
                               "start": iso(thursday(1, "14:00")),
                               "end": iso(thursday(1, "15:00")),
                               "attendees": [GUEST, "ola.added@acme.example"]})
    assert edited.status_code == 200, edited.text
    assert mails(clean_sandbox) == [("invitation", "ola.added@acme.example", "occurrence")]
    found = view(account, master.id)
    assert [(o.type, o.start.hour, len(o.required_attendees or [])) for o in found] == [
        ("Occurrence", 10, 1), ("Exception", 14, 2), ("Occurrence", 10, 1),
        ("Occurrence", 10, 1)]


def test_ids_past_the_series_are_errors_not_faults(ews_for: Callable[..., Account]) -> None:
    account = ews_for(EVE)
    master = weekly_series(account, "EWS bounds")
    for index in (5, 10**9):
        with pytest.raises(ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange):
            fetch(account, master.occurrence(index)._id)
    with pytest.raises(ErrorItemNotFound):
        account.calendar.get(id=f"{master.id}_{compact(day(3))[:6]}99T100000Z")  # day 99
