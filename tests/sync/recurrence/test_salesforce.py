"""The model <-> a Lightning event series' Recurrence2 fields.

Pure calendar arithmetic (every rule gets an explicit start), so the dates are fixed, far
from today (each such line says ``# fixed date``)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from addin.sync.recurrence import Pattern, Range, Recurrence, from_salesforce, to_salesforce

BERLIN = ZoneInfo("Europe/Berlin")
LAST_FRIDAYS = Recurrence(Pattern("relativeMonthly", days=("friday",), index="last"),
                          Range("endDate", date(2037, 12, 25),  # fixed date: rule math
                                end=date(2038, 6, 30),  # fixed date: rule math
                                time_zone="Europe/Berlin"))


def test_model_to_series_fields_and_back() -> None:
    start = datetime(2037, 12, 25, 9, tzinfo=BERLIN)  # fixed date: rule math
    fields = to_salesforce(LAST_FRIDAYS, start)
    text = "RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20380630T215959Z"  # fixed date: rule math
    first = "2037-12-25T08:00:00+00:00"  # fixed date: rule math
    assert fields == {"IsRecurrence2": True, "Recurrence2PatternText": text,
                      "Recurrence2PatternStartDate": first,
                      "Recurrence2PatternTimeZone": "Europe/Berlin"}
    assert from_salesforce(fields) == LAST_FRIDAYS
    as_read = "2037-12-25T08:00:00.000+0000"  # fixed date: rule math (Salesforce's spelling)
    assert from_salesforce({**fields, "Recurrence2PatternStartDate": as_read}) == LAST_FRIDAYS


def test_an_all_day_series_and_a_single_event() -> None:
    first = date(2037, 12, 25)  # fixed date: rule math
    fields = to_salesforce(LAST_FRIDAYS, first, all_day=True)
    assert fields["Recurrence2PatternText"] == \
        "RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20380630"  # fixed date: rule math
    midnight = "2037-12-24T23:00:00+00:00"  # fixed date: rule math (Berlin's midnight)
    assert fields["Recurrence2PatternStartDate"] == midnight
    assert from_salesforce(fields, all_day=True) == LAST_FRIDAYS
    assert from_salesforce({"IsRecurrence2": False, "Subject": "one"}) is None
