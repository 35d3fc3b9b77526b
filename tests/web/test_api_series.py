"""POST /api/v1/events with ``recurrence``: validated before anything is created, created
in Salesforce as a Lightning event series and mirrored as ONE calendar series."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from addin.accounts.clients import open_calendar
from addin.sandbox import SandboxRuntime
from tests.clock import at, compact, day, utc, z
from tests.web.conftest import AVA, CLEO, EVE
from tests.web.test_api_events import _user

Bearer = Callable[[str], dict[str, str]]
START = at(day(8), "14:00")  # a Tuesday, 14:00 UTC
LONDON = ZoneInfo("Europe/London")
SERIES = {"subject": "Weekly pipeline review", "start": z(START),
          "end": z(START + timedelta(minutes=30)), "timeZone": "Europe/London",
          "recurrence": "FREQ=WEEKLY;COUNT=6"}


def _weekly(first: datetime, count: int, zone: ZoneInfo) -> list[datetime]:
    """``count`` weekly occurrences from ``first``, at its wall time in ``zone`` (a series
    in London keeps its local time across a DST change), as UTC instants."""
    local = first.astimezone(zone)
    return [utc(datetime.combine(local.date() + timedelta(weeks=n), local.time(),
                                 tzinfo=zone)) for n in range(count)]


def _salesforce_events(sandbox: SandboxRuntime, subject: str) -> list[dict[str, Any]]:
    org = sandbox.apps["salesforce"].extensions["salesforce_org"]
    return [e for e in org.records["Event"].values() if e.get("Subject") == subject]


@pytest.mark.parametrize(("rule", "reason"), [
    ("FREQ=HOURLY", "at most daily"),
    ("FREQ=WEEKLY;BYDAY=MO", "one of the repeats"),  # the start is a Tuesday
    (f"FREQ=WEEKLY;COUNT=2;UNTIL={compact(day(30))}", "COUNT or UNTIL"),
    ("FREQ=DAILY;BYHOUR=9", "BYHOUR"),
    ("RRULE:", "one RRULE"),
])
def test_a_bad_or_unrepresentable_rule_is_a_400_naming_recurrence(
        client: Any, bearer: Bearer, clean_sandbox: SandboxRuntime, rule: str,
        reason: str) -> None:
    answer = client.post("/api/v1/events", json={**SERIES, "recurrence": rule},
                         headers=bearer(CLEO))
    assert answer.status_code == 400
    assert reason in answer.json["error"]["fields"]["recurrence"]
    assert _salesforce_events(clean_sandbox, SERIES["subject"]) == []
    assert clean_sandbox.state.stats.snapshot().get("salesforce", {}).get("requests", 0) == 0


def test_a_single_event_answers_no_recurrence(client: Any, bearer: Bearer,
                                              clean_sandbox: SandboxRuntime) -> None:
    body = {k: v for k, v in SERIES.items() if k != "recurrence"}
    answer = client.post("/api/v1/events", json=body, headers=bearer(CLEO))
    assert answer.status_code == 201, answer.json
    assert answer.json["event"]["recurrence"] is None


@pytest.mark.parametrize("email", [CLEO, AVA, EVE])
def test_a_series_is_one_salesforce_series_and_one_calendar_series(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        email: str) -> None:
    subject = f"Pipeline review {uuid.uuid4().hex[:8]}"
    answer = client.post("/api/v1/events", json={**SERIES, "subject": subject,
                                                 "recurrence": "RRULE:FREQ=WEEKLY;COUNT=6"},
                         headers=bearer(email))
    assert answer.status_code == 201, answer.json
    view = answer.json
    assert view["event"]["recurrence"] == "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6"
    assert clean_sandbox.state.stats.snapshot()["salesforce"]["requests"] == 1
    occurrences = _salesforce_events(clean_sandbox, subject)
    assert len(occurrences) == 6 and all(e.get("IsRecurrence2") for e in occurrences)
    calendar = open_calendar(services, _user(services, email))
    series = calendar.get_item(view["mirror"]["itemId"])
    assert str(series.recurrence).startswith("FREQ=WEEKLY;BYDAY=TU")
    assert "COUNT=6" in str(series.recurrence)
    instances = calendar.list_instances(series.item_id, at(day(-7), "00:00"),
                                        at(day(83), "00:00"))
    assert [i.start for i in instances] == _weekly(START, 6, LONDON)
    assert all(i.series_id == series.item_id for i in instances)
    assert clean_sandbox.state.mail.messages() == []
    again = client.get(f"/api/v1/events/{view['event']['id']}", headers=bearer(email))
    assert again.status_code == 200
    assert again.json["event"]["recurrence"] == "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6"


def test_a_recurring_event_takes_at_most_100_invitees(
        client: Any, bearer: Bearer, clean_sandbox: SandboxRuntime) -> None:
    view = client.post("/api/v1/events", json=SERIES, headers=bearer(CLEO)).json
    people = [{"email": f"guest{n}@globex.example"} for n in range(101)]
    answer = client.put(f"/api/v1/events/{view['event']['id']}/attendees",
                        json={"attendees": people}, headers=bearer(CLEO))
    assert answer.status_code == 400
    assert "100" in answer.json["error"]["fields"]["attendees"]
    assert clean_sandbox.state.mail.messages() == []
