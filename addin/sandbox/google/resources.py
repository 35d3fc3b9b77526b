"""Google Calendar event resources: validation and the shapes the API returns."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ID_PATTERN = re.compile(r"^[a-v0-9]{5,1024}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RESPONSES = ("needsAction", "declined", "tentative", "accepted")
WRITABLE = {"summary", "description", "location", "start", "end", "attendees",
            "extendedProperties", "reminders", "transparency", "visibility", "id", "status",
            "colorId", "guestsCanModify", "guestsCanInviteOthers", "guestsCanSeeOtherGuests",
            "source", "eventType", "anyoneCanAddSelf", "sequence", "kind", "etag",
            "organizer", "creator", "iCalUID", "htmlLink", "created", "updated",
            "attachments", "conferenceData", "recurrence", "originalStartTime",
            "privateCopy", "locked", "hangoutLink", "endTimeUnspecified",
            "recurringEventId"}


class GoogleApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, domain: str = "global"):
        super().__init__(message)
        self.code = code
        self.body = {"error": {"code": code, "message": message, "errors": [
            {"domain": domain, "reason": reason, "message": message}]}}


def invalid(message: str, reason: str = "invalid") -> GoogleApiError:
    return GoogleApiError(400, reason, message)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def parse_rfc3339(value: Any, what: str) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment
    raise invalid(f"Invalid value for: {what}")


def _zone(name: Any, what: str) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(f"Invalid time zone definition for {what}.") from None


def when(value: Any, what: str) -> tuple[str, Any]:
    """('date', date) or ('dateTime', aware datetime) for a start/end object."""
    if not isinstance(value, dict):
        raise invalid(f"Missing {what}.", "required")
    if value.get("date"):
        try:
            return "date", date.fromisoformat(str(value["date"]))
        except ValueError:
            raise invalid(f"Invalid value for: {what}.date") from None
    if value.get("dateTime"):
        moment = value["dateTime"]
        if isinstance(moment, str) and not re.search(r"(Z|[+-]\d{2}:\d{2})$", moment):
            zone = _zone(value.get("timeZone"), what)  # a local time needs a zone
            try:
                return "dateTime", datetime.fromisoformat(moment).replace(tzinfo=zone)
            except ValueError:
                raise invalid(f"Invalid value for: {what}.dateTime") from None
        if value.get("timeZone"):
            _zone(value["timeZone"], what)
        return "dateTime", parse_rfc3339(moment, f"{what}.dateTime")
    raise invalid(f"Missing {what}.dateTime or {what}.date.", "required")


def check_event(event: dict[str, Any]) -> None:
    unknown = sorted(set(event) - WRITABLE)
    if unknown:
        raise invalid(f"Invalid field: {unknown[0]}")
    start_kind, start = when(event.get("start"), "start")
    end_kind, end = when(event.get("end"), "end")
    if start_kind != end_kind:
        raise invalid("Start and end times must either both be date or both be dateTime.")
    if end <= start:
        raise invalid("The specified time range is empty.", "timeRangeEmpty")
    for field in ("summary", "location"):
        if event.get(field) is not None and not isinstance(event[field], str):
            raise invalid(f"Invalid value for: {field}")
    if event.get("description") is not None and len(str(event["description"])) > 8192:
        raise invalid("Invalid value for: description")
    attendees = event.get("attendees") or []
    if not isinstance(attendees, list):
        raise invalid("Invalid value for: attendees")
    for attendee in attendees:
        if not isinstance(attendee, dict) or not attendee.get("email"):
            raise invalid("Missing attendee email.", "required")
        if not EMAIL.match(str(attendee["email"])):
            raise invalid(f"Invalid attendee email: {attendee['email']}")
        status = attendee.get("responseStatus")
        if status is not None and status not in RESPONSES:
            raise invalid(f"Invalid value for: attendees.responseStatus ({status})")
    private = (event.get("extendedProperties") or {}).get("private") or {}
    if not isinstance(private, dict) or any(not isinstance(v, str) for v in private.values()):
        raise invalid("Invalid value for: extendedProperties.private")


def merge_patch(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Patch semantics: objects merge field by field, arrays and scalars replace."""
    merged = dict(current)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key not in (
                "start", "end"):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged


def keep_responses(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A guest list written without responseStatus keeps each existing guest's answer."""
    answers = {a["email"].lower(): a.get("responseStatus", "needsAction") for a in old}
    result = []
    for attendee in new:
        copy = {k: v for k, v in attendee.items() if k in (
            "email", "displayName", "optional", "responseStatus", "comment",
            "additionalGuests", "resource")}
        copy.setdefault("responseStatus", answers.get(attendee["email"].lower(), "needsAction"))
        result.append(copy)
    return result


def in_window(event: dict[str, Any], time_min: datetime | None, time_max: datetime | None
              ) -> bool:
    kind, start = when(event["start"], "start")
    _, end = when(event["end"], "end")
    if kind == "date":
        start = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
        end = datetime.combine(end, datetime.min.time(), tzinfo=UTC)
    if time_min is not None and end <= time_min:
        return False
    return not (time_max is not None and start >= time_max)
