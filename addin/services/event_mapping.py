"""Translations between the API's event, Salesforce's Event fields and calendar drafts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from addin.domain import ItemDraft
from addin.sync.recurrence import with_prefix

SHOW_AS_TO_SALESFORCE = {"busy": "Busy", "free": "Free", "outOfOffice": "OutOfOffice"}
SHOW_AS_FROM_SALESFORCE = {v: k for k, v in SHOW_AS_TO_SALESFORCE.items()}
SALESFORCE_TO_API_FIELD = {
    "Subject": "subject", "StartDateTime": "start", "ActivityDateTime": "start",
    "ActivityDate": "start", "EndDateTime": "end", "EndDate": "end",
    "DurationInMinutes": "end", "Location": "location", "Description": "description",
    "WhoId": "whoId", "WhatId": "whatId", "ShowAs": "showAs",
    "ReminderDateTime": "reminderMinutes", "IsReminderSet": "reminderMinutes",
    "IsPrivate": "isPrivate", "IsAllDayEvent": "isAllDay",
    "IsRecurrence2": "recurrence", "Recurrence2PatternText": "recurrence",
    "Recurrence2PatternStartDate": "recurrence", "Recurrence2PatternTimeZone": "recurrence",
    "Recurrence2PatternVersion": "recurrence",
}
# Lightning event series (API 52.0+): the rule as an RFC 5545 RRULE; Salesforce sets
# Recurrence2PatternVersion ("1") itself (read-only)


def _start_instant(data: dict[str, Any]) -> datetime:
    start = data["start"]
    if isinstance(start, datetime):
        return start
    return datetime.combine(start, datetime.min.time(), tzinfo=ZoneInfo(data["timeZone"]))


def salesforce_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Event fields for Salesforce from a loaded EventCreateSchema payload."""
    fields: dict[str, Any] = {
        "Subject": data["subject"], "Location": data["location"] or None,
        "Description": data["description"] or None,
        "ShowAs": SHOW_AS_TO_SALESFORCE[data["showAs"]], "IsPrivate": data["isPrivate"],
    }
    if data["isAllDay"]:
        fields.update({"IsAllDayEvent": True, "ActivityDate": data["start"].isoformat(),
                       "EndDate": data["end"].isoformat()})
    else:
        fields.update({"StartDateTime": data["start"].astimezone(UTC).isoformat(),
                       "EndDateTime": data["end"].astimezone(UTC).isoformat()})
    if data.get("whoId"):
        fields["WhoId"] = data["whoId"]
    if data.get("whatId"):
        fields["WhatId"] = data["whatId"]
    if data.get("reminderMinutes") is not None:
        reminder = _start_instant(data) - timedelta(minutes=data["reminderMinutes"])
        fields.update({"IsReminderSet": True,
                       "ReminderDateTime": reminder.astimezone(UTC).isoformat()})
    if data.get("recurrence"):
        fields.update(series_fields(data))
    return {k: v for k, v in fields.items() if v is not None}


def series_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A Lightning event series: the rule, where and in which zone it starts. Salesforce
    makes an Event per occurrence from these (and invitees of a series are capped)."""
    start = data["start"]
    pattern_start = (start.astimezone(UTC) if isinstance(start, datetime)
                     else _start_instant(data).astimezone(UTC))
    return {"IsRecurrence2": True, "Recurrence2PatternText": with_prefix(data["recurrence"]),
            "Recurrence2PatternStartDate": pattern_start.isoformat(),
            "Recurrence2PatternTimeZone": data["timeZone"]}


def base_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The payload as JSON-safe values (stored as the mirror's agreed fields)."""
    return {**data, "start": data["start"].isoformat(), "end": data["end"].isoformat()}


def draft_from_base(fields: dict[str, Any], salesforce_event_id: str) -> ItemDraft:
    """The calendar item for an event; all-day ends become exclusive dates."""
    if fields["isAllDay"]:
        start: datetime | date = date.fromisoformat(fields["start"])
        end: datetime | date = date.fromisoformat(fields["end"]) + timedelta(days=1)
    else:
        start = datetime.fromisoformat(fields["start"])
        end = datetime.fromisoformat(fields["end"])
    return ItemDraft(subject=fields["subject"], start=start, end=end,
                     is_all_day=fields["isAllDay"], time_zone=fields.get("timeZone") or "UTC",
                     location=fields.get("location") or "", body=fields.get("description") or "",
                     show_as=fields.get("showAs") or "busy",
                     is_private=bool(fields.get("isPrivate")),
                     reminder_minutes=fields.get("reminderMinutes"),
                     salesforce_event_id=salesforce_event_id,
                     recurrence=fields.get("recurrence") or None)


def _iso_z(value: str | None) -> str | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("+0000", "+00:00").replace("Z", "+00:00"))
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_view(record: dict[str, Any], instance_url: str) -> dict[str, Any]:
    """The API's ``event`` object from a Salesforce Event record."""
    all_day = bool(record.get("IsAllDayEvent"))
    reminder = None
    if record.get("IsReminderSet") and record.get("ReminderDateTime") and record.get(
            "StartDateTime"):
        start = datetime.fromisoformat(str(_iso_z(record["StartDateTime"])).replace("Z",
                                                                                    "+00:00"))
        at = datetime.fromisoformat(str(_iso_z(record["ReminderDateTime"])).replace(
            "Z", "+00:00"))
        reminder = int((start - at).total_seconds() // 60)
    return {
        "id": record["Id"], "subject": record.get("Subject") or "",
        "start": record.get("ActivityDate") if all_day else _iso_z(record.get(
            "StartDateTime")),
        "end": record.get("EndDate") if all_day else _iso_z(record.get("EndDateTime")),
        "isAllDay": all_day, "location": record.get("Location") or "",
        "description": record.get("Description") or "", "whoId": record.get("WhoId"),
        "whatId": record.get("WhatId"),
        "showAs": SHOW_AS_FROM_SALESFORCE.get(record.get("ShowAs") or "Busy", "busy"),
        "reminderMinutes": reminder, "isPrivate": bool(record.get("IsPrivate")),
        "ownerId": record.get("OwnerId"), "url": f"{instance_url.rstrip('/')}/{record['Id']}",
        "recurrence": recurrence_of(record),
    }


def recurrence_of(record: dict[str, Any]) -> str | None:
    """The series' rule of an Event record ("RRULE:..."), None for a single event."""
    text = record.get("Recurrence2PatternText")
    if not text:
        return None
    text = str(text).strip()
    return text if text.upper().startswith("RRULE:") else with_prefix(text)


def api_fields_of(salesforce_fields_blamed: list[str]) -> list[str]:
    return sorted({SALESFORCE_TO_API_FIELD.get(f, "_salesforce")
                   for f in salesforce_fields_blamed} or {"_salesforce"})
