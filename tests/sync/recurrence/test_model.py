"""The recurrence model's names, its error and its time zones."""

from __future__ import annotations

from datetime import date

import pytest

from addin.sync.recurrence import (
    Pattern,
    Range,
    Recurrence,
    RecurrenceError,
    UnsupportedRecurrence,
    zone_of,
)
from addin.sync.recurrence.model import refuse


def test_the_error_names_the_part_and_is_a_value_error() -> None:
    technical = UnsupportedRecurrence("BYSETPOS", "Exchange counts first to fourth")
    assert (technical.part, str(technical)) == ("BYSETPOS",
                                                "BYSETPOS: Exchange counts first to fourth")
    for_a_person = refuse("FREQ", "FREQ is required.")
    assert (for_a_person.part, str(for_a_person)) == ("FREQ", "FREQ is required.")
    assert isinstance(for_a_person, RecurrenceError)
    assert isinstance(for_a_person, ValueError)


def test_windows_and_iana_zones() -> None:
    assert str(zone_of("W. Europe Standard Time")) == "Europe/Berlin"
    assert str(zone_of("tzone://Microsoft/Utc")) == "UTC"
    with pytest.raises(UnsupportedRecurrence) as refused:
        zone_of("Atlantis Standard Time")
    assert refused.value.part == "recurrenceTimeZone"


def test_pattern_frequency_and_defaults() -> None:
    assert [Pattern(kind).frequency for kind in ("daily", "weekly", "relativeMonthly",
                                                 "absoluteYearly")] == [
        "DAILY", "WEEKLY", "MONTHLY", "YEARLY"]
    first = date(2037, 1, 1)  # fixed date: rule math
    recurrence = Recurrence(Pattern("daily"), Range("noEnd", first))
    assert (recurrence.pattern.interval, recurrence.range.time_zone) == (1, "UTC")
