"""Repeat in the Gmail add-on's Create card (addin/web/gmail/repeat.py): the widgets, and a
weekly series created from the card as ONE Google series."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from typing import Any

import pytest

from addin.sandbox import SandboxRuntime
from addin.web.gmail.repeat import recurrence_of, repeat_widgets
from tests.clock import at, compact, day
from tests.web.test_gmail import CLEO, cards_in, gmail, mint, strict  # noqa: F401

START = at(day(8), "15:00")  # a Tuesday
UNTIL = day(62)  # a Sunday, eight weeks on


@pytest.mark.parametrize(("values", "rule"), [
    ({}, None),
    ({"repeat": "none"}, None),
    ({"repeat": "daily", "repeatEnds": "count", "repeatCount": "5"},
     "RRULE:FREQ=DAILY;COUNT=5"),
    ({"repeat": "weekly"}, "RRULE:FREQ=WEEKLY;BYDAY=TU"),
    ({"repeat": "weekly", "repeatDays": ["TH", "TU"], "repeatEnds": "until",
      "repeatUntil": int(at(UNTIL, "00:00").timestamp() * 1000)},
     f"RRULE:FREQ=WEEKLY;BYDAY=TU,TH;UNTIL={compact(UNTIL)}"),
    ({"repeat": "monthly"}, "RRULE:FREQ=MONTHLY"),
    ({"repeat": "custom", "recurrenceCustom": " FREQ=YEARLY;COUNT=2 "},
     "FREQ=YEARLY;COUNT=2"),
    ({"repeat": "custom"}, "RRULE:"),  # nothing typed: the API names `recurrence`
])
def test_the_rule_read_from_the_card(values: dict[str, Any], rule: str | None) -> None:
    assert recurrence_of(values, START.isoformat()) == rule


def test_the_widgets_keep_what_was_chosen_and_show_the_error() -> None:
    widgets = repeat_widgets({"repeat": "weekly", "repeatDays": ["WE"]},
                             {"recurrence": "FREQ=HOURLY is not supported"})
    by_name = {next(iter(w.values()))["name"]: w for w in widgets}
    repeat = by_name["repeat"]["selectionInput"]
    assert repeat["label"] == "Repeat: FREQ=HOURLY is not supported"
    assert [i["value"] for i in repeat["items"] if i["selected"]] == ["weekly"]
    days = by_name["repeatDays"]["selectionInput"]["items"]
    assert [i["value"] for i in days if i["selected"]] == ["WE"]


def _form(**repeat: Any) -> dict[str, Any]:
    start = int(START.timestamp() * 1000)
    form: dict[str, Any] = {
        "subject": {"stringInputs": {"value": ["Weekly renewal check"]}},
        "start": {"dateTimeInput": {"msSinceEpoch": start}},
        "end": {"dateTimeInput": {"msSinceEpoch": start + 30 * 60000}}}
    for name, value in repeat.items():
        form[name] = {"stringInputs": {"value": value if isinstance(value, list)
                                       else [value]}}
    return form


def test_a_weekly_series_from_the_card_is_one_google_series(
        gmail: Callable[..., Any], clean_sandbox: SandboxRuntime) -> None:  # noqa: F811
    answer = gmail("/gmail/actions/create", {"commonEventObject": {"formInputs": _form(
        repeat="weekly", repeatDays=["TU"], repeatEnds="count", repeatCount="4")}})
    (card,) = cards_in(answer.json)
    strict(card)
    assert answer.json["renderActions"]["action"]["notification"]["text"] == "Event created"
    calendar = clean_sandbox.apps["google"].extensions["google_calendar"]
    items = [i for i in calendar.store.live(CLEO)
             if i.resource["summary"] == "Weekly renewal check"]
    assert len(items) == 1
    assert items[0].resource["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4"]
    org = clean_sandbox.apps["salesforce"].extensions["salesforce_org"]
    assert len([e for e in org.records["Event"].values()
                if e.get("Subject") == "Weekly renewal check"]) == 4


def test_a_weekly_rule_repeats_on_the_users_weekday(
        gmail: Callable[..., Any], clean_sandbox: SandboxRuntime) -> None:  # noqa: F811
    """Tuesday 19:00 in Los Angeles is Wednesday 03:00 UTC (02:00 in summer): the series
    repeats on Tuesdays, the day the rep picked."""
    evening = at(day(8), "19:00", "America/Los_Angeles")
    assert evening.astimezone(UTC).weekday() == 2  # Wednesday in UTC
    offset = evening.utcoffset()
    assert offset is not None
    start = int(evening.timestamp() * 1000)
    form = {"subject": {"stringInputs": {"value": ["Evening check-in"]}},
            "start": {"dateTimeInput": {"msSinceEpoch": start}},
            "end": {"dateTimeInput": {"msSinceEpoch": start + 30 * 60000}},
            "repeat": {"stringInputs": {"value": ["weekly"]}},
            "repeatEnds": {"stringInputs": {"value": ["count"]}},
            "repeatCount": {"stringInputs": {"value": ["3"]}}}
    answer = gmail("/gmail/actions/create", {"commonEventObject": {
        "formInputs": form, "hostApp": "GMAIL", "platform": "WEB",
        "timeZone": {"id": "America/Los_Angeles",
                     "offset": int(offset.total_seconds() * 1000)}}})
    assert answer.json["renderActions"]["action"]["notification"]["text"] == "Event created"
    calendar = clean_sandbox.apps["google"].extensions["google_calendar"]
    (item,) = [i for i in calendar.store.live(CLEO)
               if i.resource["summary"] == "Evening check-in"]
    assert item.resource["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=3"]


def test_a_bad_rule_comes_back_under_repeat(gmail: Callable[..., Any]  # noqa: F811
                                            ) -> None:
    answer = gmail("/gmail/actions/create", {"commonEventObject": {"formInputs": _form(
        repeat="custom", recurrenceCustom="FREQ=HOURLY")}})
    action = answer.json["renderActions"]["action"]
    assert action["notification"]["text"] == "Please check: Repeat"
    (card,) = cards_in(answer.json)
    strict(card)
    assert "at most daily" in json.dumps(card)
