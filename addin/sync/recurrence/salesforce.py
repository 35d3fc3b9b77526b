"""The model <-> a Lightning event series' ``Recurrence2`` fields on a Salesforce Event:
``Recurrence2PatternText`` (``RRULE:...``), ``Recurrence2PatternStartDate`` (the first
occurrence's start, a UTC instant) and ``Recurrence2PatternTimeZone`` (IANA). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from addin.sync.recurrence.exchange import from_rrule, to_rrule
from addin.sync.recurrence.google import with_prefix
from addin.sync.recurrence.model import Recurrence


def to_salesforce(recurrence: Recurrence, start: datetime | date, *,
                  all_day: bool = False) -> dict[str, Any]:
    """The series fields of an Event for the model, whose first occurrence starts at
    ``start`` (aware; a date for an all-day series: its midnight in the series' zone)."""
    zone = recurrence.range.time_zone
    moment = start if isinstance(start, datetime) else datetime.combine(
        start, time(), tzinfo=ZoneInfo(zone))
    return {"IsRecurrence2": True,
            "Recurrence2PatternText": with_prefix(to_rrule(recurrence, all_day=all_day)),
            "Recurrence2PatternStartDate": moment.astimezone(UTC).isoformat(),
            "Recurrence2PatternTimeZone": zone}


def from_salesforce(record: Mapping[str, Any], *, all_day: bool = False
                    ) -> Recurrence | None:
    """The model of an Event's series fields; None for an Event outside a series."""
    text = record.get("Recurrence2PatternText")
    when = record.get("Recurrence2PatternStartDate")
    if not record.get("IsRecurrence2") or not text or not when:
        return None
    zone = str(record.get("Recurrence2PatternTimeZone") or "UTC")
    start = datetime.fromisoformat(str(when).replace("Z", "+00:00").replace("+0000",
                                                                            "+00:00"))
    local = start.astimezone(ZoneInfo(zone))
    return from_rrule(str(text), local.date() if all_day else local, zone, all_day=all_day)
