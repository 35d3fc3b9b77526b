"""Recurring calendar items of the EWS emulator: the ``t:Recurrence`` element, a series'
occurrences and exceptions, and the ids that name them.

A ``t:Recurrence`` holds one pattern (DailyRecurrence, WeeklyRecurrence,
AbsoluteMonthlyRecurrence, RelativeMonthlyRecurrence, AbsoluteYearlyRecurrence,
RelativeYearlyRecurrence) and one range (NoEndRecurrence, EndDateRecurrence,
NumberedRecurrence); it is kept as ``{"pattern": {"type", <element>: value},
"range": {...}}``. Exchange keeps one store behind EWS and Graph, so a series expands
as the Graph emulator expands its patternedRecurrence (same rules: month-end days, wall
time in the start's zone).

A master item keeps ``exceptions`` (original-start key -> the fields changed on that
occurrence, its ChangeKey) and ``cancelled`` (keys of deleted occurrences). An occurrence
is named by ``t:OccurrenceItemId`` (RecurringMasterId + 1-based InstanceIndex, counted
over the pattern, deleted occurrences included) or by its own ItemId (the master's, ``_``
and the original start in UTC); ``t:RecurringMasterItemId`` (OccurrenceId) names an
occurrence's master."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree
from tzlocal.windows_tz import win_tz

from addin.sandbox.ews.soap import EwsError, format_datetime, t
from addin.sandbox.graph import recurrence as exchange
from addin.sandbox.graph.resources import GraphError

PATTERNS = {
    "DailyRecurrence": ("daily", ("Interval",)),
    "WeeklyRecurrence": ("weekly", ("Interval", "DaysOfWeek", "FirstDayOfWeek")),
    "AbsoluteMonthlyRecurrence": ("absoluteMonthly", ("Interval", "DayOfMonth")),
    "RelativeMonthlyRecurrence": ("relativeMonthly", ("Interval", "DaysOfWeek",
                                                      "DayOfWeekIndex")),
    "AbsoluteYearlyRecurrence": ("absoluteYearly", ("DayOfMonth", "Month")),
    "RelativeYearlyRecurrence": ("relativeYearly", ("DaysOfWeek", "DayOfWeekIndex", "Month")),
}
RANGES = {"NoEndRecurrence": ("noEnd", ("StartDate",)),
          "EndDateRecurrence": ("endDate", ("StartDate", "EndDate")),
          "NumberedRecurrence": ("numbered", ("StartDate", "NumberOfOccurrences"))}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
GROUPS = {"Day": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                  "sunday"],
          "Weekday": ["monday", "tuesday", "wednesday", "thursday", "friday"],
          "WeekendDay": ["saturday", "sunday"]}
INTEGERS = ("Interval", "DayOfMonth", "NumberOfOccurrences")
MAX_INDEX = 10000  # the furthest occurrence an id may name (bounds the expansion)
OCCURRENCE_ID = re.compile(r"^(?P<master>.+)_(?P<key>\d{8}T\d{6}Z)$")
SERIES_URIS = ("calendar:RecurrenceId", "calendar:OriginalStart", "calendar:FirstOccurrence",
               "calendar:LastOccurrence", "calendar:ModifiedOccurrences",
               "calendar:DeletedOccurrences")


def _invalid(message: str) -> EwsError:
    return EwsError("ErrorCalendarInvalidRecurrence", message)


def read(node: etree._Element) -> dict[str, Any]:
    """A ``t:Recurrence`` element as kept (checked by expanding it once)."""
    parts = list(node)
    if len(parts) != 2:
        raise _invalid("A Recurrence holds one pattern and one range.")
    kept: dict[str, Any] = {}
    for part, table, what in ((parts[0], PATTERNS, "pattern"), (parts[1], RANGES, "range")):
        name = etree.QName(part).localname
        if name not in table:
            raise _invalid(f"{name} is not a recurrence {what}.")
        values: dict[str, Any] = {"type": name}
        for child in part:
            tag = etree.QName(child).localname
            if tag not in table[name][1]:
                raise EwsError("ErrorSchemaValidation", f"The element {tag} is not "
                               f"expected in {name}.")
            text = (child.text or "").strip()
            if tag in INTEGERS:
                if not text.isdigit():
                    raise EwsError("ErrorSchemaValidation", f"'{text}' is not a valid "
                                   f"integer for {tag}.")
                values[tag] = int(text)
            else:
                values[tag] = text[:10] if tag.endswith("Date") else text
        kept[what] = values
    as_graph(kept, "UTC")
    exchange_rule(kept, datetime(2000, 1, 1, tzinfo=UTC), "UTC")
    return kept


def write(parent: etree._Element, kept: dict[str, Any]) -> None:
    holder = etree.SubElement(parent, t("Recurrence"))
    for what, table in (("pattern", PATTERNS), ("range", RANGES)):
        values = kept[what]
        node = etree.SubElement(holder, t(values["type"]))
        for tag in table[values["type"]][1]:
            if tag in values:
                etree.SubElement(node, t(tag)).text = str(values[tag])


def as_graph(kept: dict[str, Any], zone_name: str) -> dict[str, Any]:
    """The same series as a Graph patternedRecurrence (the store's one model)."""
    pattern, span = kept["pattern"], kept["range"]
    kind = PATTERNS[pattern["type"]][0]
    out: dict[str, Any] = {"type": kind, "interval": pattern.get("Interval", 1)}
    days = str(pattern.get("DaysOfWeek") or "")
    if kind == "weekly":
        out["daysOfWeek"] = [d.lower() for d in days.split()]
        out["firstDayOfWeek"] = str(pattern.get("FirstDayOfWeek") or "Sunday").lower()
    if kind.startswith("relative"):
        out["daysOfWeek"] = GROUPS.get(days) or [days.lower()]
        out["index"] = str(pattern.get("DayOfWeekIndex") or "").lower()
    if kind.startswith("absolute") and kind != "daily":
        out["dayOfMonth"] = pattern.get("DayOfMonth")
    if kind.endswith("Yearly"):
        month = str(pattern.get("Month"))
        if month not in MONTHS:
            raise _invalid(f"'{month}' is not a month.")
        out["month"] = MONTHS.index(month) + 1
    graph_range = {"type": RANGES[span["type"]][0], "startDate": span.get("StartDate"),
                   "endDate": span.get("EndDate"), "recurrenceTimeZone": zone_name,
                   "numberOfOccurrences": span.get("NumberOfOccurrences")}
    return {"pattern": out, "range": graph_range}


def exchange_rule(kept: dict[str, Any], start: datetime, zone_name: str) -> Any:
    try:
        return exchange.rule(as_graph(kept, zone_name), start, zone_name)
    except GraphError as error:
        raise _invalid(str(error)) from None


def zone_of(fields: dict[str, Any]) -> str:
    """The series' zone: the item's StartTimeZone (by its Id), else UTC."""
    for uri in ("calendar:StartTimeZone", "calendar:MeetingTimeZone"):
        if fields.get(uri):
            zone_id = etree.fromstring(fields[uri]).get("Id") or ""
            name = win_tz.get(zone_id, zone_id)
            try:
                exchange.zone(name)
                return name
            except GraphError:
                continue
    return "UTC"


def key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def originals(item: dict[str, Any], until: datetime | None = None,
              limit: int = exchange.MAX_EXPANDED) -> list[datetime]:
    """The pattern's original starts (UTC), deleted occurrences included."""
    f = item["fields"]
    found: list[datetime] = []
    for moment in exchange_rule(f["calendar:Recurrence"],
                                datetime.fromisoformat(f["calendar:Start"]), zone_of(f)):
        instant = moment.astimezone(UTC)
        if (until is not None and instant >= until) or len(found) >= limit:
            break
        found.append(instant)
    return found


def neighbours(item: dict[str, Any], original: datetime
               ) -> tuple[datetime | None, datetime | None]:
    """The original starts just before and just after ``original`` in the pattern."""
    f = item["fields"]
    previous: datetime | None = None
    for moment in exchange_rule(f["calendar:Recurrence"],
                                datetime.fromisoformat(f["calendar:Start"]), zone_of(f)):
        instant = moment.astimezone(UTC)
        if instant > original:
            return previous, instant
        if instant < original:
            previous = instant
    return previous, None


def occurrence(master: dict[str, Any], original: datetime, index: int) -> dict[str, Any]:
    """One occurrence (or exception) as an item of its own."""
    f = master["fields"]
    span = datetime.fromisoformat(f["calendar:End"]) - datetime.fromisoformat(
        f["calendar:Start"])
    k = key(original)
    change = (master.get("exceptions") or {}).get(k)
    fields = {u: v for u, v in f.items() if u != "calendar:Recurrence"}
    fields.update({"calendar:Start": original.isoformat(),
                   "calendar:End": (original + span).isoformat()})
    item = {**master, "id": f"{master['id']}_{k}", "fields": fields,
            "occurrence": {"type": "Exception" if change else "Occurrence",
                           "master": master["id"], "original": original.isoformat(),
                           "index": index}}
    if change:
        fields.update(change["fields"])
        item.update(changeKey=change["changeKey"], modified=change["modified"])
    return item


def instances(master: dict[str, Any], window: tuple[datetime, datetime] | None
              ) -> list[dict[str, Any]]:
    """The series' occurrences and exceptions overlapping the window (exceptions by their
    own times), without deleted ones."""
    cancelled = set(master.get("cancelled") or [])
    found = []
    horizon = window[1] if window else None
    changed = master.get("exceptions") or {}
    for index, original in enumerate(originals(master, horizon), start=1):
        k = key(original)
        if k in cancelled or (k in changed and window is not None):
            continue
        found.append(occurrence(master, original, index))
    if window is not None:
        for k in changed:
            moved = _by_key(master, k)
            if moved is not None and _overlaps(moved, window):
                found.append(moved)
    rows = [i for i in found if window is None or _overlaps(i, window)]
    return sorted(rows, key=lambda i: i["fields"]["calendar:Start"])


def _overlaps(item: dict[str, Any], window: tuple[datetime, datetime]) -> bool:
    return datetime.fromisoformat(item["fields"]["calendar:End"]) > window[0] and \
        datetime.fromisoformat(item["fields"]["calendar:Start"]) < window[1]


def _by_key(master: dict[str, Any], k: str) -> dict[str, Any] | None:
    try:
        original = datetime.strptime(k, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None  # not a date: no such occurrence
    starts = originals(master, original + timedelta(seconds=1), limit=MAX_INDEX)
    if not starts or starts[-1] != original or k in (master.get("cancelled") or []):
        return None
    return occurrence(master, original, len(starts))


def by_index(master: dict[str, Any], index: int) -> dict[str, Any]:
    if not master["fields"].get("calendar:Recurrence"):
        raise EwsError("ErrorItemNotFound", "The specified object was not found in the "
                       "store.")
    starts = originals(master, limit=min(index, MAX_INDEX))
    if index < 1 or len(starts) < index:
        raise EwsError("ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange", "The "
                       "occurrence index is out of the recurrence range.")
    if key(starts[-1]) in (master.get("cancelled") or []):
        raise EwsError("ErrorCalendarOccurrenceIsDeletedFromRecurrence", "The occurrence "
                       "was deleted from the recurrence.")
    return occurrence(master, starts[-1], index)


def by_id(master: dict[str, Any], k: str) -> dict[str, Any] | None:
    return _by_key(master, k) if master["fields"].get("calendar:Recurrence") else None


def item_type(item: dict[str, Any]) -> str:
    if item.get("occurrence"):
        return str(item["occurrence"]["type"])
    return "RecurringMaster" if item["fields"].get("calendar:Recurrence") else "Single"


def write_series_field(node: etree._Element, uri: str, item: dict[str, Any]) -> None:
    """The computed series properties: RecurrenceId / OriginalStart on an occurrence,
    First/LastOccurrence and Modified/DeletedOccurrences on a master."""
    if item.get("occurrence"):
        if uri in ("calendar:RecurrenceId", "calendar:OriginalStart"):
            etree.SubElement(node, t(uri.split(":")[1])).text = format_datetime(
                item["occurrence"]["original"])
        return
    if not item["fields"].get("calendar:Recurrence"):
        return
    if uri == "calendar:DeletedOccurrences" and item.get("cancelled"):
        holder = etree.SubElement(node, t("DeletedOccurrences"))
        for k in item["cancelled"]:
            gone = etree.SubElement(holder, t("DeletedOccurrence"))
            etree.SubElement(gone, t("Start")).text = format_datetime(
                datetime.strptime(k, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).isoformat())
        return
    rows: list[dict[str, Any]] = []
    if uri == "calendar:ModifiedOccurrences":
        rows = [o for o in (_by_key(item, k) for k in item.get("exceptions") or {}) if o]
    elif uri in ("calendar:FirstOccurrence", "calendar:LastOccurrence"):
        every = instances(item, None)
        range_type = item["fields"]["calendar:Recurrence"]["range"]["type"]
        if every and (uri == "calendar:FirstOccurrence" or range_type != "NoEndRecurrence"):
            rows = [every[0] if uri == "calendar:FirstOccurrence" else every[-1]]
    if not rows:
        return
    holder = node if uri != "calendar:ModifiedOccurrences" else etree.SubElement(
        node, t("ModifiedOccurrences"))
    for row in rows:
        entry = etree.SubElement(holder, t(uri.split(":")[1] if holder is node
                                          else "Occurrence"))
        etree.SubElement(entry, t("ItemId"), Id=row["id"], ChangeKey=row["changeKey"])
        etree.SubElement(entry, t("Start")).text = format_datetime(
            row["fields"]["calendar:Start"])
        etree.SubElement(entry, t("End")).text = format_datetime(row["fields"]["calendar:End"])
        etree.SubElement(entry, t("OriginalStart")).text = format_datetime(
            row["occurrence"]["original"])
