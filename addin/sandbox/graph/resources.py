"""Graph event resources: time zones, validation, shaping ($select, Prefer time zone)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Response, request
from tzlocal.windows_tz import win_tz

SHOW_AS = ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown")
SENSITIVITY = ("normal", "personal", "private", "confidential")
ATTENDEE_TYPES = ("required", "optional", "resource")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WRITABLE = {"subject", "body", "start", "end", "isAllDay", "location", "locations",
            "attendees", "showAs", "isReminderOn", "reminderMinutesBeforeStart",
            "sensitivity", "categories", "transactionId", "singleValueExtendedProperties",
            "importance", "responseRequested", "allowNewTimeProposals", "isOnlineMeeting",
            "hideAttendees", "recurrence"}


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"code": code, "message": message, "innerError": {
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": "00000000-0000-0000-0000-000000000000"}}}


def bad(message: str, code: str = "ErrorInvalidRequest") -> GraphError:
    return GraphError(400, code, message)


def zone(name: str) -> ZoneInfo:
    """Graph accepts Windows and IANA zone names."""
    iana = win_tz.get(name, name)
    if name in ("UTC", "tzone://Microsoft/Utc"):
        iana = "UTC"
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad(f"TimeZoneNotSupportedException: A valid TimeZone value must be "
                  f"specified. The following TimeZone value is not supported: '{name}'.",
                  "TimeZoneNotSupportedException") from None


def parse_time(value: Any, what: str) -> tuple[datetime, str]:
    """A dateTimeTimeZone object -> (UTC instant, the zone name it was given in)."""
    if not isinstance(value, dict) or not value.get("dateTime"):
        raise bad(f"{what} must have a dateTime and a timeZone")
    name = str(value.get("timeZone") or "UTC")
    text = str(value["dateTime"]).rstrip("Z")
    if "." in text:
        head, fraction = text.split(".", 1)
        text = f"{head}.{fraction[:6]}"
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise bad(f"Cannot convert the literal '{value['dateTime']}' to the expected type "
                  "'Edm.DateTimeOffset'.", "UnableToDeserializePostBody") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone(name))
    return local.astimezone(UTC), name


def format_time(instant: datetime, zone_name: str) -> dict[str, str]:
    local = instant.astimezone(zone(zone_name))
    return {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": zone_name}


def check(event: dict[str, Any], creating: bool) -> None:
    unknown = sorted(k for k in event if k not in WRITABLE and not k.startswith("@odata"))
    if unknown:
        raise bad(f"The property '{unknown[0]}' does not exist on type "
                  "'microsoft.graph.event' or is read-only.", "RequestBodyRead")
    if creating and ("start" not in event or "end" not in event):
        raise bad("An event needs a start and an end.", "ErrorInvalidRequest")
    if event.get("showAs") is not None and event["showAs"] not in SHOW_AS:
        raise bad(f"Requested value '{event['showAs']}' was not found.", "RequestBodyRead")
    if event.get("sensitivity") is not None and event["sensitivity"] not in SENSITIVITY:
        raise bad(f"Requested value '{event['sensitivity']}' was not found.",
                  "RequestBodyRead")
    if event.get("subject") is not None and len(str(event["subject"])) > 255:
        raise bad("The subject is too long.", "ErrorPropertyValidationFailure")
    for attendee in event.get("attendees") or []:
        address = ((attendee or {}).get("emailAddress") or {}).get("address")
        if not address or not EMAIL.match(str(address)):
            raise bad(f"At least one recipient isn't valid: {address!r}",
                      "ErrorInvalidRecipients")
        if attendee.get("type", "required") not in ATTENDEE_TYPES:
            raise bad(f"Requested value '{attendee.get('type')}' was not found.",
                      "RequestBodyRead")


def check_times(start: datetime, start_zone: str, end: datetime, end_zone: str,
                all_day: bool) -> None:
    if end < start:
        raise bad("The end time must be after the start time.", "ErrorInvalidRequest")
    if all_day:
        local_start = start.astimezone(zone(start_zone))
        local_end = end.astimezone(zone(end_zone))
        midnight = all(t.hour == t.minute == t.second == 0 for t in (local_start, local_end))
        if not midnight or local_end <= local_start:
            raise bad("Your request can't be completed. If the event is an all-day event, "
                      "the start and end must be at midnight and at least one day apart.",
                      "ErrorPropertyValidationFailure")


def select(resource: dict[str, Any], fields: str | None) -> dict[str, Any]:
    if not fields:
        return resource
    wanted = {f.strip() for f in fields.split(",") if f.strip()}
    return {k: v for k, v in resource.items()
            if k in wanted or k in ("id", "@odata.etag") or k.startswith("@")}


EXTENDED_FILTER = re.compile(
    r"^singleValueExtendedProperties/Any\((?P<var>\w+):\s*(?P=var)/id eq '(?P<id>[^']+)'"
    r"\s+and\s+(?P=var)/value eq '(?P<value>(?:[^']|'')*)'\)$", re.IGNORECASE)


def json_response(status: int, body: Any = None) -> Response:
    if body is None:
        return Response(status=status)
    return Response(json.dumps(body), status=status, mimetype="application/json")


def request_window() -> tuple[datetime, datetime]:
    try:
        start = datetime.fromisoformat(request.args["startDateTime"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(request.args["endDateTime"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        raise bad("This request requires a time window specified by the query string "
                  "parameters StartDateTime and EndDateTime.", "ErrorInvalidParameter") from None
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    return start, end
