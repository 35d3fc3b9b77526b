"""Graph event resources: time zones, validation, shaping ($select, Prefer time zone)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time, timedelta
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


AMBIGUOUS_CHOICES = ("standard", "daylight")
NONEXISTENT_CHOICES = ("shiftForward", "reject")


def parse_time(value: Any, what: str, *, ambiguous: str = "standard",
               nonexistent: str = "shiftForward") -> tuple[datetime, str]:
    """A dateTimeTimeZone object -> (UTC instant, the zone name it was given in).

    A wall time without an offset can name two instants (the repeated hour when clocks go
    back) or none (the hour skipped when they go forward). Microsoft does not document
    which one Exchange picks, so these are sandbox settings (``graph.ambiguousLocalTime``,
    ``graph.nonexistentLocalTime``); the defaults follow .NET's TimeZoneInfo, which
    takes an ambiguous time as standard time (the later instant), and move a skipped
    time forward by the gap (02:30 on a spring-forward night is 03:30 daylight time)."""
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
        local = _resolve_wall_time(local.replace(tzinfo=zone(name)), value, ambiguous,
                                   nonexistent)
    return local.astimezone(UTC), name


def _resolve_wall_time(local: datetime, value: Any, ambiguous: str,
                       nonexistent: str) -> datetime:
    earlier, later = local.replace(fold=0), local.replace(fold=1)
    if earlier.utcoffset() == later.utcoffset():
        return earlier  # one instant: the usual case
    # zoneinfo: fold=0 takes the offset in force before the transition, fold=1 after
    if earlier.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None) == \
            local.replace(tzinfo=None):
        # it round-trips: the wall time exists twice (clocks went back)
        standard = min((earlier, later), key=lambda m: m.dst() or timedelta(0))
        daylight = later if standard is earlier else earlier
        return standard if ambiguous == "standard" else daylight
    if nonexistent == "reject":  # it does not exist at all (clocks went forward)
        raise bad(f"The time '{value['dateTime']}' does not exist in the time zone "
                  f"'{value.get('timeZone')}'.", "ErrorInvalidRequest")
    return earlier  # the offset before the gap: 02:30 +01:00 is 03:30 +02:00


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
        midnight = _starts_a_day(start, start_zone) and _starts_a_day(end, end_zone)
        if not midnight or local_end <= local_start:
            raise bad("Your request can't be completed. If the event is an all-day event, "
                      "the start and end must be at midnight and at least one day apart.",
                      "ErrorPropertyValidationFailure")


def _starts_a_day(instant: datetime, zone_name: str) -> bool:
    """The instant is the first of its local day: midnight, or where clocks skip midnight
    (Santiago, Havana, Beirut on their spring-forward days) the first time after it."""
    local = instant.astimezone(zone(zone_name))
    first = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
    return first.astimezone(UTC) == instant.astimezone(UTC)


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
