"""ONE series contract, run against every calendar provider (Graph, Google, EWS): a series
is one item; its occurrences are read window by window and changed one at a time."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from addin.domain import CalendarItem, ItemDraft
from addin.providers.calendar.provider import NotifyMode
from addin.sync.recurrence import normalize
from tests.clock import at, compact, day
from tests.providers.conftest import CalendarUnderTest
from tests.providers.test_calendar_contract import GUESTS, draft, guests

LONDON = "Europe/London"
FIRST = at(day(1), "14:00", LONDON)  # a Tuesday, 14:00 in London
WINDOW = (at(day(-7), "00:00"), at(day(175), "00:00"))
WEEKLY_SIX = normalize("FREQ=WEEKLY;COUNT=6", FIRST, LONDON)
WEEKLY_UNTIL = normalize(f"FREQ=WEEKLY;UNTIL={compact(day(22))}", FIRST, LONDON)  # 4 Tuesdays


def series(calendar: CalendarUnderTest, rule: str = WEEKLY_SIX) -> CalendarItem:
    return calendar.provider.create_item(
        draft(start=FIRST, end=FIRST + timedelta(minutes=30), recurrence=rule),
        idempotency_key=str(uuid.uuid4()))


def instances(calendar: CalendarUnderTest, item: CalendarItem) -> list[CalendarItem]:
    return sorted(calendar.provider.list_instances(item.item_id, *WINDOW),
                  key=lambda i: i.start)  # type: ignore[arg-type,return-value]


def weeks(count: int) -> list[datetime]:
    """The series' starts: 14:00 in London each week (wall-clock arithmetic on a London
    time, so a DST change inside the series moves the UTC instant, as calendars do)."""
    return [FIRST + timedelta(weeks=n) for n in range(count)]


def occurrence_draft(start: datetime, **changes: object) -> ItemDraft:
    return draft(start=start, end=start + timedelta(minutes=30), **changes)


class TestSeriesContract:
    def test_a_weekly_series_with_count_is_one_item(self, calendar: CalendarUnderTest
                                                    ) -> None:
        item = series(calendar)
        assert item.recurrence is not None
        assert item.recurrence.startswith("FREQ=WEEKLY;BYDAY=TU")
        assert "COUNT=6" in item.recurrence
        found = instances(calendar, item)
        assert [i.start for i in found] == weeks(6)
        assert {i.series_id for i in found} == {item.item_id}
        assert [i.original_start for i in found] == weeks(6)
        assert all(i.item_id != item.item_id for i in found)
        assert calendar.mail() == []

    def test_a_weekly_series_with_until(self, calendar: CalendarUnderTest) -> None:
        item = series(calendar, WEEKLY_UNTIL)
        assert "UNTIL=" in str(item.recurrence)
        assert [i.start for i in instances(calendar, item)] == weeks(4)

    def test_instances_are_read_inside_the_window_only(self, calendar: CalendarUnderTest
                                                       ) -> None:
        item = series(calendar)
        narrow = (FIRST + timedelta(days=10), FIRST + timedelta(days=24))
        found = calendar.provider.list_instances(item.item_id, *narrow)
        assert [i.start for i in found] == weeks(4)[2:4]

    def test_moving_one_occurrence_makes_an_exception(self, calendar: CalendarUnderTest
                                                      ) -> None:
        item = series(calendar)
        second = instances(calendar, item)[1]
        moved_to = second.start + timedelta(days=1, hours=2)  # type: ignore[operator]
        calendar.provider.update_fields(second.item_id, occurrence_draft(moved_to),
                                        etag=second.etag)
        found = instances(calendar, item)
        assert len(found) == 6
        moved = [i for i in found if i.original_start == weeks(6)[1]]
        assert [i.start for i in moved] == [moved_to]
        assert [i.start for i in found if i.original_start != weeks(6)[1]] == \
            [w for n, w in enumerate(weeks(6)) if n != 1]
        assert calendar.mail() == []

    def test_cancelling_one_occurrence(self, calendar: CalendarUnderTest) -> None:
        item = series(calendar)
        third = instances(calendar, item)[2]
        calendar.provider.delete_item(third.item_id, notify=NotifyMode.CHANGED)
        assert [i.original_start for i in instances(calendar, item)] == \
            [w for n, w in enumerate(weeks(6)) if n != 2]
        assert calendar.provider.get_item(item.item_id).recurrence is not None

    def test_an_attendee_added_to_the_series_gets_one_invitation(
            self, calendar: CalendarUnderTest) -> None:
        item = series(calendar)
        calendar.provider.replace_attendees(item.item_id, guests(GUESTS[0]),
                                            notify=NotifyMode.CHANGED)
        assert calendar.mail() == [(GUESTS[0], "invitation")]  # not one per occurrence
        assert all([a.email for a in i.attendees] == [GUESTS[0]]
                   for i in instances(calendar, item))

    def test_an_attendee_added_to_one_occurrence_only(self, calendar: CalendarUnderTest
                                                      ) -> None:
        item = series(calendar)
        fourth = instances(calendar, item)[3]
        calendar.provider.replace_attendees(fourth.item_id, guests(GUESTS[1]),
                                            notify=NotifyMode.CHANGED)
        assert calendar.mail() == [(GUESTS[1], "invitation")]
        found = instances(calendar, item)
        assert [[a.email for a in i.attendees] for i in found] == \
            [[], [], [], [GUESTS[1]], [], []]
        assert calendar.provider.get_item(item.item_id).attendees == []
