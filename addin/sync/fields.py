"""Three-way merge of the Event fields people see (subject, location, when) between
Salesforce and the calendar, against the agreed base.

A field changed on one side goes to the other. Changed on both sides differently:
Salesforce wins (it is the system of record). In the one-way direction (``sf_to_calendar``)
calendar-side edits are put back and never reach Salesforce. "When" (all day, start, end)
moves as one value so a half-applied time change cannot happen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

FIELDS = ("subject", "location", "when")


@dataclass
class FieldsMerge:
    agreed: dict[str, Any]
    to_calendar: dict[str, Any] = field(default_factory=dict)
    to_salesforce: dict[str, Any] = field(default_factory=dict)


def _instant(value: str) -> str:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("+0000", "+00:00"))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def when(all_day: bool, start: Any, end: Any) -> tuple[bool, str, str]:
    """(all day, start, end): UTC instants for timed events; dates, the end INCLUSIVE, for
    all-day ones (the exclusive calendar end is converted by the caller)."""
    if all_day:
        return True, str(start)[:10], str(end)[:10]
    return False, _instant(str(start)), _instant(str(end))


def from_api(values: dict[str, Any]) -> dict[str, Any]:
    """Normalized fields from the API's event (or a stored base)."""
    return {"subject": values.get("subject") or "", "location": values.get("location") or "",
            "when": when(bool(values.get("isAllDay")), values.get("start"), values.get("end"))}


def from_calendar(subject: str, location: str, all_day: bool, start: date | datetime,
                  end: date | datetime) -> dict[str, Any]:
    if all_day and not isinstance(end, datetime):
        last = end - timedelta(days=1)
        return {"subject": subject, "location": location,
                "when": (True, start.isoformat()[:10], last.isoformat())}
    return {"subject": subject, "location": location,
            "when": when(False, start.isoformat(), end.isoformat())}


def merge_fields(base: dict[str, Any], salesforce: dict[str, Any], calendar: dict[str, Any],
                 direction: str) -> FieldsMerge:
    result = FieldsMerge(agreed={})
    for name in FIELDS:
        b, s, c = base.get(name), salesforce.get(name), calendar.get(name)
        if s == c:
            result.agreed[name] = s
        elif s != b or direction == "sf_to_calendar":
            result.agreed[name] = s
            result.to_calendar[name] = s
        else:
            result.agreed[name] = c
            result.to_salesforce[name] = c
    return result


def as_base(fields: dict[str, Any]) -> dict[str, Any]:
    """Normalized fields in the shape the stored base (and the API) uses."""
    all_day, start, end = fields["when"]
    return {"subject": fields["subject"], "location": fields["location"],
            "isAllDay": all_day, "start": start, "end": end}


def salesforce_fields(changes: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "subject" in changes:
        out["Subject"] = changes["subject"]
    if "location" in changes:
        out["Location"] = changes["location"] or None
    if "when" in changes:
        all_day, start, end = changes["when"]
        if all_day:
            out.update({"IsAllDayEvent": True, "ActivityDate": start, "EndDate": end})
        else:
            out.update({"IsAllDayEvent": False, "StartDateTime": start, "EndDateTime": end})
    return out
