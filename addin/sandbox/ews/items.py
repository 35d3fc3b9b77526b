"""Calendar items of the EWS emulator: read from a request's ``t:CalendarItem``, kept as
plain data (field URI -> value), written back in Exchange's shapes for the properties a
shape asks for, and matched against a FindItem restriction.

Kept fields by kind: text, bool, int, datetime (UTC ISO), body ({"type","text"}),
strings (a list), attendees (a list of {"email","name","response","time"}), xml (a
time-zone definition kept as the client sent it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lxml import etree

from addin.sandbox.ews import recurrence as series
from addin.sandbox.ews.soap import (
    EwsError,
    bool_text,
    format_datetime,
    parse_datetime,
    t,
)

# field URI -> kind, in the order Exchange writes them; "computed" ones are never set.
FIELDS: dict[str, str] = {
    "item:ItemId": "computed", "item:ParentFolderId": "computed", "item:ItemClass": "text",
    "item:Subject": "text", "item:Sensitivity": "text", "item:Body": "body",
    "item:DateTimeReceived": "computed", "item:Size": "computed",
    "item:Categories": "strings", "item:Importance": "text",
    "item:DateTimeCreated": "computed", "item:ReminderIsSet": "bool",
    "item:ReminderMinutesBeforeStart": "int", "item:DisplayTo": "computed",
    "item:HasAttachments": "computed", "item:ExtendedProperty": "computed",
    "item:Culture": "text", "item:LastModifiedTime": "computed", "calendar:UID": "text",
    "calendar:RecurrenceId": "computed", "calendar:Start": "datetime",
    "calendar:End": "datetime", "calendar:OriginalStart": "computed",
    "calendar:IsAllDayEvent": "bool", "calendar:LegacyFreeBusyStatus": "text",
    "calendar:Location": "text", "calendar:IsMeeting": "computed",
    "calendar:IsCancelled": "computed", "calendar:IsRecurring": "computed",
    "calendar:MeetingRequestWasSent": "computed", "calendar:IsResponseRequested": "bool",
    "calendar:CalendarItemType": "computed", "calendar:MyResponseType": "computed",
    "calendar:Organizer": "computed", "calendar:RequiredAttendees": "attendees",
    "calendar:OptionalAttendees": "attendees", "calendar:Resources": "attendees",
    "calendar:Duration": "computed", "calendar:AppointmentSequenceNumber": "computed",
    "calendar:AppointmentState": "computed", "calendar:Recurrence": "recurrence",
    "calendar:FirstOccurrence": "computed", "calendar:LastOccurrence": "computed",
    "calendar:ModifiedOccurrences": "computed", "calendar:DeletedOccurrences": "computed",
    "calendar:StartTimeZone": "xml",
    "calendar:EndTimeZone": "xml", "calendar:MeetingTimeZone": "xml",
}
TAG_TO_URI = {uri.split(":", 1)[1]: uri for uri in FIELDS}
ATTENDEE_FIELDS = ("calendar:RequiredAttendees", "calendar:OptionalAttendees",
                   "calendar:Resources")
RESPONSE_TYPES = ("Unknown", "Organizer", "Tentative", "Accept", "Decline",
                  "NoResponseReceived")
DEFAULTS: dict[str, Any] = {
    "item:ItemClass": "IPM.Appointment", "item:Sensitivity": "Normal",
    "item:Importance": "Normal", "item:ReminderIsSet": True,
    "item:ReminderMinutesBeforeStart": 15, "calendar:IsAllDayEvent": False,
    "calendar:LegacyFreeBusyStatus": "Busy", "calendar:IsResponseRequested": True,
    "item:Body": {"type": "HTML", "text": ""}, "item:Subject": "",
}
CHOICES = {
    "item:Sensitivity": ("Normal", "Personal", "Private", "Confidential"),
    "item:Importance": ("Low", "Normal", "High"),
    "calendar:LegacyFreeBusyStatus": ("Free", "Tentative", "Busy", "OOF",
                                      "WorkingElsewhere", "NoData"),
}


def children(node: etree._Element | None) -> list[etree._Element]:
    return list(node) if node is not None else []


def property_key(uri: etree._Element) -> str:
    """One extended property, however the client names it (set id case-insensitively)."""
    a = uri.attrib
    where = (a.get("DistinguishedPropertySetId") or (a.get("PropertySetId") or "").lower()
             or "tag:" + (a.get("PropertyTag") or "").lower())
    name = a.get("PropertyName") or a.get("PropertyId") or ""
    return f"{where}|{name}|{a.get('PropertyType', '')}"


def read_value(uri: str, node: etree._Element) -> Any:
    """The kept value of one property element of a ``t:CalendarItem``."""
    kind = FIELDS[uri]
    if kind == "computed":
        raise EwsError("ErrorInvalidPropertySet", f"Set action is invalid for property. "
                       f"(field: FieldURI(field_uri='{uri}'))")
    raw = (node.text or "").strip()
    if kind == "text":
        value = node.text or ""
        if uri in CHOICES and value not in CHOICES[uri]:
            raise EwsError("ErrorSchemaValidation", f"The value '{value}' is invalid "
                           f"for {uri}.")
        return value
    if kind == "bool":
        if raw not in ("true", "false", "1", "0"):
            raise EwsError("ErrorSchemaValidation", f"'{raw}' is not a valid boolean for "
                           f"{uri}.")
        return raw in ("true", "1")
    if kind == "int":
        if not raw.lstrip("-").isdigit():
            raise EwsError("ErrorSchemaValidation", f"'{raw}' is not a valid integer for "
                           f"{uri}.")
        return int(raw)
    if kind == "datetime":
        return parse_datetime(raw, uri).isoformat()
    if kind == "body":
        return {"type": node.get("BodyType", "HTML"), "text": node.text or ""}
    if kind == "strings":
        return [child.text or "" for child in node]
    if kind == "attendees":
        return [read_attendee(child) for child in node]
    if kind == "recurrence":
        return series.read(node)
    return etree.tostring(node).decode()  # xml


def read_attendee(node: etree._Element) -> dict[str, Any]:
    email = (node.findtext(f"{t('Mailbox')}/{t('EmailAddress')}") or "").strip()
    if "@" not in email:
        raise EwsError("ErrorInvalidRecipients", f"At least one recipient isn't valid: "
                       f"'{email}'.")
    return {"email": email,
            "name": node.findtext(f"{t('Mailbox')}/{t('Name')}") or email,
            "response": node.findtext(t("ResponseType")) or "Unknown", "time": None}


def read_extended(node: etree._Element) -> tuple[str, dict[str, Any]]:
    uri = node.find(t("ExtendedFieldURI"))
    if uri is None:
        raise EwsError("ErrorSchemaValidation", "ExtendedProperty needs an ExtendedFieldURI.")
    values = node.find(t("Values"))
    value: Any = ([v.text or "" for v in values] if values is not None
                  else node.findtext(t("Value")) or "")
    return property_key(uri), {"uri": dict(uri.attrib), "value": value}


def read_item(node: etree._Element) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The fields and extended properties a ``t:CalendarItem`` element sets."""
    if etree.QName(node).localname != "CalendarItem":
        raise EwsError("ErrorInvalidItemForOperation", "The emulated mailbox holds "
                       "calendar items only.")
    fields: dict[str, Any] = {}
    extended: dict[str, dict[str, Any]] = {}
    for child in node:
        tag = etree.QName(child).localname
        if tag == "ExtendedProperty":
            key, prop = read_extended(child)
            extended[key] = prop
            continue
        uri = TAG_TO_URI.get(tag)
        if uri is None:
            raise EwsError("ErrorInvalidPropertySet", f"The property {tag} is not supported "
                           "by the emulator.")
        fields[uri] = read_value(uri, child)
    return fields, extended


def check(fields: dict[str, Any]) -> None:
    if "calendar:Start" not in fields or "calendar:End" not in fields:
        raise EwsError("ErrorInvalidPropertyRequest",
                       "A calendar item needs a Start and an End.")
    if fields["calendar:End"] < fields["calendar:Start"]:
        raise EwsError("ErrorCalendarEndDateIsEarlierThanStartDate",
                       "EndDate is earlier than StartDate")


def attendees(fields: dict[str, Any]) -> list[str]:
    return [a["email"] for uri in ATTENDEE_FIELDS for a in fields.get(uri) or []]


# -- writing ---------------------------------------------------------------------------
def write_mailbox(parent: etree._Element, name: str, email: str) -> None:
    box = etree.SubElement(parent, t("Mailbox"))
    etree.SubElement(box, t("Name")).text = name
    etree.SubElement(box, t("EmailAddress")).text = email
    etree.SubElement(box, t("RoutingType")).text = "SMTP"
    etree.SubElement(box, t("MailboxType")).text = "Mailbox"


def write_item(parent: etree._Element, item: dict[str, Any], *, wanted: set[str] | None,
               extended: set[str] | None, folder_id: str, organizer: tuple[str, str]
               ) -> etree._Element:
    """``t:CalendarItem`` with ItemId and the wanted field URIs (None: all of them) and
    extended properties (None: none; Exchange returns only those asked for)."""
    node = etree.SubElement(parent, t("CalendarItem"))
    f = item["fields"]
    meeting = bool(attendees(f))
    computed: dict[str, Any] = {
        "item:DateTimeReceived": format_datetime(item["created"]), "item:Size": 1024,
        "item:DateTimeCreated": format_datetime(item["created"]),
        "item:DisplayTo": "; ".join(a["name"] for a in f.get(
            "calendar:RequiredAttendees") or []),
        "item:HasAttachments": False, "item:LastModifiedTime": format_datetime(
            item["modified"]),
        "calendar:IsMeeting": meeting, "calendar:IsCancelled": False,
        "calendar:IsRecurring": series.item_type(item) != "Single",
        "calendar:MeetingRequestWasSent": bool(item.get("invited")),
        "calendar:CalendarItemType": series.item_type(item),
        "calendar:MyResponseType": "Organizer",
        "calendar:AppointmentSequenceNumber": item.get("sequence", 0),
        "calendar:AppointmentState": 1 if meeting else 0,
        "calendar:Duration": _duration(f), "calendar:UID": f.get("calendar:UID") or item["uid"],
    }
    for uri, kind in FIELDS.items():
        if wanted is not None and uri not in wanted and uri != "item:ExtendedProperty":
            continue
        tag = uri.split(":", 1)[1]
        if uri == "item:ItemId":
            etree.SubElement(node, t("ItemId"), Id=item["id"], ChangeKey=item["changeKey"])
        elif uri == "item:ParentFolderId":
            etree.SubElement(node, t("ParentFolderId"), Id=folder_id, ChangeKey="AQAAAA==")
        elif uri == "item:ExtendedProperty":
            for key, prop in (item.get("extended") or {}).items():
                if extended is not None and key in extended:
                    _write_extended(node, prop)
        elif uri in series.SERIES_URIS:
            series.write_series_field(node, uri, item)
        elif uri == "calendar:Organizer":
            holder = etree.SubElement(node, t("Organizer"))
            write_mailbox(holder, organizer[1], organizer[0])
        elif uri in computed:
            _write_scalar(node, tag, computed[uri])
        elif uri in f or uri in DEFAULTS:
            _write_value(node, tag, kind, f.get(uri, DEFAULTS.get(uri)))
    if wanted is None or "item:ItemId" in wanted:
        return node
    # ItemId always comes first, whatever else was asked for
    node.insert(0, etree.Element(t("ItemId"), Id=item["id"], ChangeKey=item["changeKey"]))
    return node


def _duration(f: dict[str, Any]) -> str:
    """An xs:duration, e.g. PT1H30M or P1DT0H0M."""
    span = (datetime.fromisoformat(f["calendar:End"])
            - datetime.fromisoformat(f["calendar:Start"]))
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    return f"P{days}DT{rest // 60}H{rest % 60}M" if days else f"PT{rest // 60}H{rest % 60}M"


def _write_scalar(node: etree._Element, tag: str, value: Any) -> None:
    child = etree.SubElement(node, t(tag))
    child.text = bool_text(value) if isinstance(value, bool) else str(value)


def _write_value(node: etree._Element, tag: str, kind: str, value: Any) -> None:
    if value is None:
        return
    if kind == "datetime":
        etree.SubElement(node, t(tag)).text = format_datetime(value)
    elif kind == "body":
        etree.SubElement(node, t(tag), BodyType=value["type"]).text = value["text"]
    elif kind == "strings":
        holder = etree.SubElement(node, t(tag))
        for entry in value:
            etree.SubElement(holder, t("String")).text = entry
    elif kind == "attendees":
        if not value:
            return
        holder = etree.SubElement(node, t(tag))
        for person in value:
            attendee = etree.SubElement(holder, t("Attendee"))
            write_mailbox(attendee, person["name"], person["email"])
            etree.SubElement(attendee, t("ResponseType")).text = person["response"]
            if person.get("time"):
                etree.SubElement(attendee, t("LastResponseTime")).text = person["time"]
    elif kind == "xml":
        node.append(etree.fromstring(value))
    elif kind == "recurrence":
        series.write(node, value)
    else:
        _write_scalar(node, tag, value)


def _write_extended(node: etree._Element, prop: dict[str, Any]) -> None:
    holder = etree.SubElement(node, t("ExtendedProperty"))
    etree.SubElement(holder, t("ExtendedFieldURI"), prop["uri"])
    if isinstance(prop["value"], list):
        values = etree.SubElement(holder, t("Values"))
        for entry in prop["value"]:
            etree.SubElement(values, t("Value")).text = entry
    else:
        etree.SubElement(holder, t("Value")).text = prop["value"]


# -- shapes and restrictions -------------------------------------------------------------
def read_shape(shape: etree._Element | None) -> tuple[set[str] | None, set[str]]:
    """(wanted field URIs or None for all, wanted extended property keys)."""
    if shape is None:
        return {"item:ItemId"}, set()
    base = shape.findtext(t("BaseShape")) or "IdOnly"
    wanted: set[str] | None = {"item:ItemId"} if base == "IdOnly" else (
        None if base == "AllProperties" else {
            "item:ItemId", "item:Subject", "item:Sensitivity", "item:HasAttachments",
            "item:Importance", "calendar:Start", "calendar:End", "calendar:IsAllDayEvent",
            "calendar:LegacyFreeBusyStatus", "calendar:Location", "calendar:Organizer",
            "calendar:CalendarItemType", "calendar:MyResponseType", "item:Body",
            "item:Culture", "item:ItemClass", "item:ParentFolderId"})
    extended: set[str] = set()
    extras = shape.find(t("AdditionalProperties"))
    for uri in children(extras):
        name = etree.QName(uri).localname
        if name == "ExtendedFieldURI":
            extended.add(property_key(uri))
        elif name == "FieldURI":
            value = uri.get("FieldURI", "")
            if ":" not in value:
                raise EwsError("ErrorInvalidPropertyRequest",
                               f"The property {value} is not a field URI.")
            if wanted is not None:  # a property the emulator does not keep is left out
                wanted.add(value)
    return wanted, extended


def matches(item: dict[str, Any], restriction: etree._Element) -> bool:
    name = etree.QName(restriction).localname
    if name == "And":
        return all(matches(item, part) for part in restriction)
    if name == "Or":
        return any(matches(item, part) for part in restriction)
    if name == "Not":
        return not matches(item, restriction[0])
    if name == "Exists":
        return _value_of(item, restriction[0]) is not None
    if name in ("IsEqualTo", "IsNotEqualTo"):
        constant = restriction.find(f"{t('FieldURIOrConstant')}/{t('Constant')}")
        if constant is None:
            raise EwsError("ErrorUnsupportedQueryFilter", "Only constants are compared.")
        value = _value_of(item, restriction[0])
        equal = value is not None and str(value) == constant.get("Value")
        return equal if name == "IsEqualTo" else not equal
    raise EwsError("ErrorUnsupportedQueryFilter", f"The restriction {name} is not supported "
                   "by the emulator.")


def _value_of(item: dict[str, Any], uri: etree._Element) -> Any:
    if etree.QName(uri).localname == "ExtendedFieldURI":
        prop = (item.get("extended") or {}).get(property_key(uri))
        return None if prop is None else prop["value"]
    field = uri.get("FieldURI", "")
    value = item["fields"].get(field)
    if isinstance(value, bool):
        return bool_text(value)
    if FIELDS.get(field) == "datetime" and value is not None:
        return format_datetime(value)
    return value
