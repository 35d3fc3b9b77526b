"""The three-way occurrence plan of a series: exceptions flow both ways, once."""

from __future__ import annotations

from addin.sync.occurrences import (
    CalendarOccurrence,
    OccurrenceBase,
    SalesforceOccurrence,
    Slot,
    originals_by_event,
    plan,
)
from tests.clock import at, day, z

WINDOW = (z(at(day(-30), "00:00")), z(at(day(300), "00:00")))
WEEKS = [z(at(day(1 + 7 * n), "14:00")) for n in range(3)]  # three Tuesdays, 14:00 UTC


def slot(start: str) -> Slot:
    return Slot(start, start.replace("14:00", "14:30"))


def base() -> dict[str, OccurrenceBase]:
    return {w: OccurrenceBase(f"00U{n}", slot(w)) for n, w in enumerate(WEEKS)}


def salesforce(**moved: Slot | None) -> dict[str, SalesforceOccurrence]:
    out = {}
    for n, w in enumerate(WEEKS):
        where = moved.get(f"w{n}", slot(w))
        if where is not None:
            out[w] = SalesforceOccurrence(f"00U{n}", where)
    return out


def calendar(**moved: Slot | None) -> dict[str, CalendarOccurrence]:
    out = {}
    for n, w in enumerate(WEEKS):
        where = moved.get(f"w{n}", slot(w))
        if where is not None:
            out[w] = CalendarOccurrence(f"item_{n}", where)
    return out


MOVED = Slot(z(at(day(9), "09:00")), z(at(day(9), "09:30")))  # to the Wednesday after


def test_nothing_changed_nothing_written() -> None:
    result = plan(base(), WINDOW, salesforce(), calendar())
    assert result.writes == 0 and result.base == base()


def test_a_new_series_is_paired_by_original_start() -> None:
    result = plan({}, WINDOW, salesforce(), calendar())
    assert result.writes == 0 and result.base == base()
    assert originals_by_event(result.base) == {f"00U{n}": w for n, w in enumerate(WEEKS)}


def test_an_occurrence_moved_in_the_calendar_moves_the_salesforce_event() -> None:
    result = plan(base(), WINDOW, salesforce(), calendar(w1=MOVED))
    assert result.move_in_salesforce == {"00U1": MOVED} and result.writes == 1
    assert result.base[WEEKS[1]] == OccurrenceBase("00U1", MOVED)


def test_an_occurrence_cancelled_in_the_calendar_deletes_the_salesforce_event() -> None:
    result = plan(base(), WINDOW, salesforce(), calendar(w2=None))
    assert result.delete_in_salesforce == ["00U2"] and result.writes == 1
    assert result.base[WEEKS[2]].slot is None


def test_an_exception_made_in_salesforce_reaches_the_calendar() -> None:
    result = plan(base(), WINDOW, salesforce(w1=MOVED, w0=None), calendar())
    assert result.move_in_calendar == {"item_1": MOVED}
    assert result.cancel_in_calendar == ["item_0"] and result.writes == 2


def test_both_sides_changed_salesforce_wins() -> None:
    other = Slot(z(at(day(10), "10:00")), z(at(day(10), "10:30")))
    result = plan(base(), WINDOW, salesforce(w1=MOVED), calendar(w1=other))
    assert result.move_in_calendar == {"item_1": MOVED} and result.writes == 1


def test_the_same_change_on_both_sides_is_written_nowhere() -> None:
    result = plan(base(), WINDOW, salesforce(w1=MOVED), calendar(w1=MOVED))
    assert result.writes == 0 and result.base[WEEKS[1]].slot == MOVED


def test_one_way_puts_calendar_exceptions_back() -> None:
    result = plan(base(), WINDOW, salesforce(), calendar(w1=MOVED), "sf_to_calendar")
    assert result.move_in_calendar == {"item_1": slot(WEEKS[1])}
    assert result.move_in_salesforce == {} and result.base == base()


def test_occurrences_outside_the_window_are_left_alone() -> None:
    narrow = (z(at(day(3), "00:00")), z(at(day(13), "00:00")))  # the second week only
    result = plan(base(), narrow, salesforce(w0=None), calendar(w2=None))
    assert result.writes == 0 and result.base == base()
