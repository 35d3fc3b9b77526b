"""Request and response schemas of the API (marshmallow), also the source of the OpenAPI
document. One schema per payload: load -> service -> dump."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from addin.providers.calendar.timezones import UnknownTimeZone, to_iana, zone
from addin.services.record_schemas import (  # noqa: F401  (the records endpoints' schemas)
    NewRecordSchema,
    RecordDraftQuerySchema,
    RecordDraftSchema,
)
from addin.sync import recurrence as rules

ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")
WHO_PREFIXES = {"003": "Contact", "00Q": "Lead"}
WHAT_PREFIXES = {"001": "Account", "006": "Opportunity", "500": "Case"}
SHOW_AS = ("busy", "free", "outOfOffice")
MAX_TIMED_MINUTES = 24 * 60
# Salesforce's valid dates (and so the API's): 1700-01-01T00:00:00Z to 4000-12-31T00:00:00Z
EARLIEST = datetime(1700, 1, 1, tzinfo=UTC)
LATEST = datetime(4000, 12, 31, tzinfo=UTC)
RANGE_MESSAGE = "Salesforce accepts dates from 1700-01-01 to 4000-12-31."
# Salesforce's own field lengths are the schema's limits; a mailbox calendar may accept
# less, and an item it refuses would never be mirrored: refused here, before anything is
# created. Google Calendar refuses descriptions over 8,192 characters; Graph refuses
# subjects over 255 (Salesforce's limit too).
SALESFORCE_LIMITS = {"subject": 255, "location": 255, "description": 32000}
CALENDAR_LIMITS: dict[str, dict[str, int]] = {
    "google": {"description": 8192},
    "graph": {"subject": 255},
}
CALENDAR_NAMES = {"google": "Google Calendar", "graph": "Outlook", "ews": "Exchange"}


def check_calendar_limits(data: Mapping[str, Any], calendar: str) -> None:
    """Raise a ValidationError naming each field longer than ``calendar`` accepts."""
    errors = {}
    for name, limit in CALENDAR_LIMITS.get(calendar, {}).items():
        value = data.get(name)
        if isinstance(value, str) and len(value) > limit:
            errors[name] = (f"{CALENDAR_NAMES.get(calendar, calendar)} accepts at most "
                            f"{limit} characters here (this has {len(value)}).")
    if errors:
        raise ValidationError(errors)


class EventCreateSchema(Schema):
    """The Create dialog. Timed events: ``start``/``end`` in ISO 8601 with an offset, or
    without one: then a wall time in ``timeZone`` (what a person typed in the zone the
    pane shows; the server converts, Windows zone names included). All-day events:
    ``isAllDay: true`` and ``start``/``end`` as dates, ``end`` being the last day
    (inclusive), as a person says it."""

    class Meta:
        unknown = RAISE

    subject = fields.String(required=True, validate=validate.Length(
        min=1, max=SALESFORCE_LIMITS["subject"]), metadata={"example": "Discovery call"})
    start = fields.String(required=True, metadata={
        "format": "date-time", "description": "ISO 8601 with an offset, or a wall time "
        "without one in timeZone; a date (YYYY-MM-DD) when isAllDay. From 1700-01-01 to "
        "4000-12-31.", "example": "2026-12-02T15:00:00+01:00"})
    end = fields.String(required=True, metadata={
        "format": "date-time", "description": "After the start; the last day (inclusive) "
        "when isAllDay.", "example": "2026-12-02T15:45:00+01:00"})
    isAllDay = fields.Boolean(load_default=False)
    timeZone = fields.String(load_default="UTC", metadata={
        "description": "IANA or Windows time zone name; the zone of start and end "
        "when they carry no offset", "example": "Europe/Paris"})
    location = fields.String(load_default="", validate=validate.Length(
        max=SALESFORCE_LIMITS["location"]))
    description = fields.String(load_default="", validate=validate.Length(
        max=SALESFORCE_LIMITS["description"]), metadata={
        "description": "At most 32,000 characters (Salesforce); 8,192 for a Google "
                       "Calendar user."})
    whoId = fields.String(load_default=None, allow_none=True, metadata={
        "pattern": "^(003|00Q)[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$",
        "description": "a Contact or Lead id"})
    whatId = fields.String(load_default=None, allow_none=True, metadata={
        "pattern": "^(001|006|500)[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$",
        "description": "an Account, Opportunity or Case id"})
    showAs = fields.String(load_default="busy", validate=validate.OneOf(SHOW_AS))
    reminderMinutes = fields.Integer(load_default=None, allow_none=True,
                                     validate=validate.Range(min=0, max=20160))
    isPrivate = fields.Boolean(load_default=False)
    recurrence = fields.String(load_default=None, allow_none=True, metadata={
        "description": "Repeat: an RFC 5545 RRULE (with or without \"RRULE:\"), daily, "
                       "weekly on chosen days, monthly or yearly, ending never, on a date "
                       "(UNTIL) or after N (COUNT); the start must be one of the repeats. "
                       "Answered in its canonical form.",
        "example": "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=10"})

    calendarItemId = fields.String(load_default=None, allow_none=True, validate=validate.Length(
        min=1, max=1024), metadata={
        "description": "The organizer's own calendar item (a series too) this Event is made "
                       "for: it is linked, never created a second time; its repeat rule is "
                       "the series' when `recurrence` is left out."})

    def __init__(self, *args: Any, max_days: int = 1, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.max_days = max_days

    @validates("subject")
    def _subject(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("Subject can't be blank.")

    @validates("whoId")
    def _who(self, value: str | None, **_: Any) -> None:
        if value and (not ID.match(value) or value[:3] not in WHO_PREFIXES):
            raise ValidationError("Name must be a Contact or a Lead.")

    @validates("whatId")
    def _what(self, value: str | None, **_: Any) -> None:
        if value and (not ID.match(value) or value[:3] not in WHAT_PREFIXES):
            raise ValidationError("Related To must be an Account, an Opportunity or a Case.")

    @validates("timeZone")
    def _zone(self, value: str, **_: Any) -> None:
        try:
            to_iana(value)
        except UnknownTimeZone:
            raise ValidationError(f"Unknown time zone {value!r}.") from None

    @validates_schema(skip_on_field_errors=False)  # every field's error at once
    def _times(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, str] = {}
        if "start" not in data or "end" not in data:
            return
        wall_zone = _wall_zone(data.get("timeZone", "UTC"))
        if data.get("isAllDay"):
            start, end = _date(data["start"], "start", errors), _date(data["end"], "end", errors)
            if start and end:
                if end < start:
                    errors["end"] = "The end date can't be before the start date."
                elif (end - start).days + 1 > self.max_days:
                    errors["end"] = (f"An all-day event can last at most {self.max_days} "
                                     f"day{'s' if self.max_days > 1 else ''} in Salesforce.")
        else:
            start_at = _moment(data["start"], "start", errors, wall_zone)
            end_at = _moment(data["end"], "end", errors, wall_zone)
            if start_at and end_at:
                limit = max(MAX_TIMED_MINUTES, self.max_days * 1440)
                if end_at <= start_at:
                    errors["end"] = "The end must be after the start."
                elif end_at - start_at > timedelta(minutes=limit):
                    errors["end"] = (f"An event can last at most {limit // 60} hours in "
                                     "Salesforce.")
        if errors:
            raise ValidationError(errors)

    @post_load
    def _typed(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        errors: dict[str, str] = {}
        if data["isAllDay"]:
            data["start"] = _date(data["start"], "start", errors)
            data["end"] = _date(data["end"], "end", errors)
        else:
            wall_zone = _wall_zone(data["timeZone"])
            data["start"] = _moment(data["start"], "start", errors, wall_zone)
            data["end"] = _moment(data["end"], "end", errors, wall_zone)
        data["timeZone"] = to_iana(data["timeZone"])
        data["subject"] = data["subject"].strip()
        if data.get("recurrence") is not None:
            try:
                data["recurrence"] = rules.normalize(data["recurrence"], data["start"],
                                                 data["timeZone"])
            except rules.RecurrenceError as exc:
                raise ValidationError({"recurrence": str(exc)}) from None
        return data


def _wall_zone(name: Any) -> ZoneInfo | None:
    """The zone of wall times (None when the name is unknown: reported at timeZone)."""
    try:
        return zone(name) if isinstance(name, str) else None
    except UnknownTimeZone:
        return None


def _moment(value: str, name: str, errors: dict[str, str],
            wall_zone: ZoneInfo | None = None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        errors[name] = "Not a valid date and time (ISO 8601 with an offset, e.g. " \
                       "2026-12-01T10:00:00+01:00)."
        return None
    if moment.tzinfo is None:
        if wall_zone is None:
            errors[name] = "The time needs an offset or Z (ISO 8601), or a known timeZone."
            return None
        wall = moment
        moment = wall.replace(tzinfo=wall_zone)
        # a wall time skipped when the clocks go forward does not exist in the zone
        if moment.astimezone(UTC).astimezone(wall_zone).replace(tzinfo=None) != wall:
            errors[name] = (f"{wall:%H:%M} does not exist on {wall:%Y-%m-%d} in "
                            f"{wall_zone.key}: the clocks go forward.")
            return None
    if not EARLIEST.year <= moment.year <= LATEST.year or not (
            EARLIEST <= moment.astimezone(UTC) <= LATEST):
        errors[name] = RANGE_MESSAGE
        return None
    return moment


def _date(value: str, name: str, errors: dict[str, str]) -> date | None:
    try:
        day = date.fromisoformat(value)
    except (ValueError, TypeError):
        errors[name] = "Not a valid date (YYYY-MM-DD)."
        return None
    if not EARLIEST.date() <= day <= LATEST.date():
        errors[name] = RANGE_MESSAGE
        return None
    return day


class EventSchema(Schema):
    id = fields.String()
    subject = fields.String()
    start = fields.String()
    end = fields.String()
    isAllDay = fields.Boolean()
    location = fields.String()
    description = fields.String()
    whoId = fields.String(allow_none=True)
    whatId = fields.String(allow_none=True)
    showAs = fields.String()
    reminderMinutes = fields.Integer(allow_none=True)
    isPrivate = fields.Boolean()
    recurrence = fields.String(allow_none=True, metadata={
        "description": "the series' RRULE (\"RRULE:...\"); null for a single event"})
    ownerId = fields.String()
    url = fields.String()


class RecordLinkSchema(Schema):
    type = fields.String()
    id = fields.String()
    name = fields.String()
    alternatives = fields.List(fields.String())


class AttendeeViewSchema(Schema):
    email = fields.String()
    name = fields.String()
    optional = fields.Boolean()
    response = fields.String()
    record = fields.Nested(RecordLinkSchema, allow_none=True)
    held = fields.Boolean()  # invited in Salesforce, kept out of Outlook (hold policy)
    removedInSalesforce = fields.Boolean()  # removed there, still in Outlook (hold policy)


class AttendeeInputSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254),
                         error_messages={"invalid": "not a valid email address"})
    name = fields.String(validate=validate.Length(max=255))
    optional = fields.Boolean()


MAX_INVITEES = 1000  # Salesforce: invitees of a one-off event


class AttendeesUpdateSchema(Schema):
    """The desired attendee list (the sidebar's attendee editor)."""

    attendees = fields.List(fields.Nested(AttendeeInputSchema), required=True,
                            validate=validate.Length(
                                max=MAX_INVITEES, error=f"Salesforce allows at most "
                                                        f"{MAX_INVITEES} invitees."))


class OccurrenceAttendeeSchema(Schema):
    email = fields.String()
    name = fields.String()
    optional = fields.Boolean()
    response = fields.String()
    linked = fields.Boolean(metadata={"description": "invited in Salesforce too"})


class OccurrenceAttendeesSchema(Schema):
    """One occurrence of a series and its own attendees."""

    id = fields.String(metadata={"description": "the occurrence's Salesforce Event id"})
    seriesId = fields.String()
    originalStart = fields.String(metadata={"description": "where the rule put it"})
    calendarItemId = fields.String()
    attendees = fields.List(fields.Nested(OccurrenceAttendeeSchema))


class RecordCreatedSchema(Schema):
    id = fields.String()
    type = fields.String()
    event = fields.Nested("EventViewSchema")


class MirrorSchema(Schema):
    provider = fields.String()
    itemId = fields.String(allow_none=True)
    kind = fields.String()
    organizer = fields.String()
    webLink = fields.String(allow_none=True)


class SyncSchema(Schema):
    state = fields.String()
    detail = fields.String()


class EventViewSchema(Schema):
    event = fields.Nested(EventSchema)
    mirror = fields.Nested(MirrorSchema)
    attendees = fields.List(fields.Nested(AttendeeViewSchema))
    sync = fields.Nested(SyncSchema)


class IntentSchema(Schema):
    id = fields.Integer()
    state = fields.String(metadata={"enum": ["pending"]})


class EventAcceptedSchema(Schema):
    """202: Salesforce did not confirm the create yet; it is kept and made once later."""

    intent = fields.Nested(IntentSchema, required=True)
    sync = fields.Nested(SyncSchema, required=True)


class EventCancelledSchema(Schema):
    id = fields.String()
    state = fields.String()
    cancellations_sent_to = fields.List(fields.String(), data_key="cancellationsSentTo")
    not_told_by_anyone = fields.List(fields.String(), data_key="notToldByAnyone")
    detail = fields.String()


class RecordSchema(Schema):
    id = fields.String()
    type = fields.String()
    name = fields.String()
    email = fields.String()
    account = fields.String()


class RecordsQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    q = fields.String(required=True, validate=validate.Length(min=2, max=100))
    types = fields.String(load_default="Contact,Lead,Account,Opportunity")
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))

    ALLOWED = ("Contact", "Lead", "Account", "Opportunity", "Case", "User")

    @validates("types")
    def _check_types(self, value: str, **_: Any) -> None:
        wanted = [t.strip() for t in value.split(",") if t.strip()]
        if not wanted or any(t not in self.ALLOWED for t in wanted):
            raise ValidationError(f"must be a list of {', '.join(self.ALLOWED)}")

    @post_load
    def _types(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["types"] = [t.strip() for t in data["types"].split(",") if t.strip()]
        return data


class ContextQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    emails = fields.String(required=True, validate=validate.Length(min=3, max=4000))

    @post_load
    def _emails(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        emails = [e.strip() for e in data["emails"].split(",") if e.strip()]
        bad = [e for e in emails if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", e)]
        if bad:
            raise ValidationError({"emails": f"not email addresses: {', '.join(bad[:5])}"})
        if len(emails) > 100:
            raise ValidationError({"emails": "at most 100 addresses"})
        data["emails"] = emails
        return data


class ErrorSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    field_errors = fields.Dict(keys=fields.String(), values=fields.String(), data_key="fields",
                               metadata={"description": "the wrong fields, each with why"})
    reference = fields.String(metadata={
        "description": "a server-side failure's id in the server's log (5xx only)"})


class ErrorEnvelopeSchema(Schema):
    error = fields.Nested(ErrorSchema, required=True)
