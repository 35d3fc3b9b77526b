"""How Salesforce keeps an Event's time fields consistent: all-day events (ActivityDate,
EndDate, midnight to midnight) and timed ones (StartDateTime with EndDateTime or
DurationInMinutes); moving the start without a new end keeps the duration."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from addin.sandbox.salesforce.values import bad_request, format_datetime, parse_datetime


def all_day_times(record: dict[str, Any], values: dict[str, Any],
                  previous: dict[str, Any] | None, max_minutes: int) -> None:
    if not record.get("ActivityDate"):
        if not record.get("StartDateTime"):
            raise bad_request("REQUIRED_FIELD_MISSING",
                              "Required fields are missing: [ActivityDate]", ["ActivityDate"])
        record["ActivityDate"] = record["StartDateTime"][:10]
    first = date.fromisoformat(record["ActivityDate"])
    if "EndDate" in values:
        last = date.fromisoformat(values["EndDate"])
    elif values.get("DurationInMinutes"):
        last = first + timedelta(days=max(1, values["DurationInMinutes"] // 1440) - 1)
    elif previous and previous.get("IsAllDayEvent") and previous.get("EndDate"):
        span = date.fromisoformat(previous["EndDate"]) - date.fromisoformat(
            previous["ActivityDate"])
        last = first + span
    else:
        last = first
    if last < first:
        raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                          "End Date can't be before the Start Date.", ["EndDate"])
    days = (last - first).days + 1
    if days * 1440 > max(max_minutes, 1440):
        raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                          "Event duration can't exceed the maximum allowed length.",
                          ["EndDate"])
    midnight = datetime.min.time()
    record.update({
        "StartDateTime": format_datetime(datetime.combine(first, midnight, tzinfo=UTC)),
        "ActivityDateTime": None,
        "EndDateTime": format_datetime(datetime.combine(last, midnight, tzinfo=UTC)),
        "EndDate": last.isoformat(),
        "DurationInMinutes": days * 1440,
    })

def timed_times(record: dict[str, Any], values: dict[str, Any],
                previous: dict[str, Any] | None, max_minutes: int) -> None:
    if "ActivityDateTime" in values and "StartDateTime" not in values:
        record["StartDateTime"] = values["ActivityDateTime"]
    if not record.get("StartDateTime"):
        raise bad_request("REQUIRED_FIELD_MISSING",
                          "Required fields are missing: [StartDateTime]", ["StartDateTime"])
    start = parse_datetime(record["StartDateTime"])
    if "EndDateTime" in values and values["EndDateTime"] is not None:
        end = parse_datetime(values["EndDateTime"])
        given = values.get("DurationInMinutes")
        if given is not None and given != int((end - start).total_seconds() // 60):
            raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                              "Duration: the duration and the end time don't agree; "
                              "give one of EndDateTime and DurationInMinutes",
                              ["DurationInMinutes", "EndDateTime"])
    elif values.get("DurationInMinutes") is not None:
        end = start + timedelta(minutes=values["DurationInMinutes"])
    elif previous and previous.get("DurationInMinutes") is not None \
            and not previous.get("IsAllDayEvent"):
        end = start + timedelta(minutes=previous["DurationInMinutes"])
    else:
        raise bad_request("REQUIRED_FIELD_MISSING",
                          "Required fields are missing: [DurationInMinutes]",
                          ["DurationInMinutes"])
    minutes = int((end - start).total_seconds() // 60)
    if minutes < 0:
        raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                          "End Date Time: End time can't be before start time.",
                          ["EndDateTime"])
    if minutes > max_minutes:
        raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                          f"Event duration must be between 0 and {max_minutes} minutes.",
                          ["DurationInMinutes"])
    record.update({
        "StartDateTime": format_datetime(start),
        "ActivityDateTime": format_datetime(start),
        "ActivityDate": start.date().isoformat(),
        "EndDateTime": format_datetime(end),
        "EndDate": end.date().isoformat(),
        "DurationInMinutes": minutes,
    })
    if record.get("IsReminderSet") and not record.get("ReminderDateTime"):
        record["ReminderDateTime"] = format_datetime(start - timedelta(minutes=15))
