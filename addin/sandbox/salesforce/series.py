"""Lightning Experience event series (``IsRecurrence2``), as Salesforce keeps them: one
Event record per occurrence, each carrying the series' pattern fields
(``Recurrence2PatternText`` holding an RFC 5545 RRULE, ``Recurrence2PatternStartDate``,
``Recurrence2PatternTimeZone``, ``Recurrence2PatternVersion``). The series record itself
(GroupEventType 3, an ``828`` id in Change Data Capture) is not an Event the REST API
shows: here it is the org's private ``series`` book. The rule is expanded with
python-dateutil in the pattern's time zone, so occurrences keep their wall-clock time
across daylight-saving changes.

- editing one occurrence makes it an exception (``IsRecurrence2Exception``);
- changing the pattern (text, start or zone) of an occurrence deletes and recreates the
  series from that occurrence on; earlier occurrences that already happened stay as
  ``IsRecurrence2Exclusion`` ("historical event, not following recurrence");
- deleting one occurrence deletes that record only; ``fromThisEventOnwards`` deletes it
  and every later occurrence (all of them from the first occurrence).
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from addin.sandbox.salesforce.values import (
    bad_request,
    format_datetime,
    parse_datetime,
)

if TYPE_CHECKING:
    from addin.sandbox.salesforce.org import Org

PATTERN_FIELDS = ("Recurrence2PatternText", "Recurrence2PatternStartDate",
                  "Recurrence2PatternTimeZone")
MAX_SERIES_INVITEES = 100
PATTERN_VERSION = "1"
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_UNTIL_DATE = re.compile(r"(UNTIL=)(\d{8})(?=;|$)")


def normalize_rule(text: Any) -> str:
    """``RRULE:...`` (the prefix is optional on input), one rule, a frequency Salesforce
    offers; anything else is FIELD_INTEGRITY_EXCEPTION on Recurrence2PatternText."""
    field = "Recurrence2PatternText"
    if not isinstance(text, str) or not text.strip():
        raise bad_request("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{field}]",
                          [field])
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if "\n" in body or ":" in body:
        raise bad_request("FIELD_INTEGRITY_EXCEPTION", f"{field}: only one RRULE is "
                          "supported", [field])
    parts = dict(p.split("=", 1) for p in body.upper().split(";") if "=" in p)
    if parts.get("FREQ") not in FREQUENCIES:
        raise bad_request("FIELD_INTEGRITY_EXCEPTION", f"{field}: FREQ must be one of "
                          f"{', '.join(FREQUENCIES)}", [field])
    if "COUNT" in parts and "UNTIL" in parts:
        raise bad_request("FIELD_INTEGRITY_EXCEPTION", f"{field}: COUNT and UNTIL can't "
                          "both be given", [field])
    rule = "RRULE:" + body.upper()
    expand(rule, datetime(2026, 1, 1, 9, 0, tzinfo=UTC), ZoneInfo("UTC"), False, 1)
    return rule


def zone_of(name: Any) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request("FIELD_INTEGRITY_EXCEPTION", f"Recurrence2PatternTimeZone: unknown "
                          f"time zone {name}", ["Recurrence2PatternTimeZone"]) from None


def expand(rule: str, first: datetime, zone: ZoneInfo, all_day: bool, limit: int
           ) -> tuple[list[datetime], bool]:
    """The series' starts (UTC; all-day: midnight UTC of each day) and whether the rule
    has more occurrences than ``limit``."""
    if all_day:
        dtstart: datetime = datetime.combine(first.date(), time())
        text = rule
    else:
        dtstart = first.astimezone(zone)
        # an UNTIL given as a date ends with that day, in the pattern's zone
        text = _UNTIL_DATE.sub(lambda m: m.group(1) + datetime.combine(
            datetime.strptime(m.group(2), "%Y%m%d").date(), time(23, 59, 59), tzinfo=zone
        ).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"), rule)
    try:
        rules = rrulestr(text, dtstart=dtstart)
        found = list(itertools.islice(iter(rules), limit + 1))
    except (ValueError, TypeError):
        raise bad_request("FIELD_INTEGRITY_EXCEPTION", f"Recurrence2PatternText: invalid "
                          f"recurrence rule {rule}", ["Recurrence2PatternText"]) from None
    starts = [m.replace(tzinfo=UTC) if all_day else m.astimezone(UTC) for m in found]
    return starts[:limit], len(starts) > limit


def until_before(rule: str, moment: datetime) -> str:
    """The rule ended just before ``moment`` (COUNT dropped, UNTIL set)."""
    parts = [p for p in rule[6:].split(";") if not p.startswith(("COUNT=", "UNTIL="))]
    stamp = (moment - timedelta(seconds=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return "RRULE:" + ";".join([*parts, f"UNTIL={stamp}"])


class SeriesBook:
    """The org's event series: create, edit and delete through the occurrences."""

    def __init__(self, org: Org):
        self.org = org

    @property
    def book(self) -> dict[str, dict[str, Any]]:
        return self.org.series

    # -- create -------------------------------------------------------------------------
    def create(self, record: dict[str, Any], values: dict[str, Any], user_id: str,
               relations: list[dict[str, Any]] | None = None,
               not_before: datetime | None = None) -> str:
        """``record`` is the first occurrence, validated and with its times derived;
        occurrences ending by ``not_before`` are left out (they were kept as exclusions)."""
        org = self.org
        rule = normalize_rule(values.get("Recurrence2PatternText"))
        owner = org.records["User"].get(record["OwnerId"]) or {}
        zone_name = values.get("Recurrence2PatternTimeZone") or owner.get(
            "TimeZoneSidKey") or "UTC"
        zone = zone_of(zone_name)
        all_day = bool(record.get("IsAllDayEvent"))
        start = parse_datetime(values.get("Recurrence2PatternStartDate")
                               or record["StartDateTime"])
        if all_day:
            start = datetime.combine(start.date(), time(), tzinfo=UTC)
        limits = org.setting("salesforce.seriesOccurrenceLimits")
        frequency = dict(p.split("=", 1) for p in rule[6:].split(";"))["FREQ"]
        limit = int(limits.get(frequency, 100))
        starts, more = expand(rule, start, zone, all_day, limit)
        length = parse_datetime(record["EndDateTime"]) - parse_datetime(record["StartDateTime"])
        if not_before is not None:
            starts = [m for m in starts if m + length > not_before]
        if more and org.setting("salesforce.seriesBeyondLimit") == "reject":
            raise bad_request("FIELD_INTEGRITY_EXCEPTION", f"An event series can't have more "
                              f"than {limit} occurrences ({frequency}).",
                              ["Recurrence2PatternText"])
        if not starts:
            raise bad_request("FIELD_INTEGRITY_EXCEPTION", "Recurrence2PatternText: the "
                              "pattern has no occurrence", ["Recurrence2PatternText"])
        series_id = org.new_id("828")
        pattern = {
            "IsRecurrence2": True, "Recurrence2PatternText": rule,
            "Recurrence2PatternStartDate": format_datetime(starts[0]),
            "Recurrence2PatternTimeZone": str(zone_name),
            "Recurrence2PatternVersion": PATTERN_VERSION,
            "IsRecurrence2Exception": False, "IsRecurrence2Exclusion": False,
        }
        self.book[series_id] = {"Id": series_id, "OwnerId": record["OwnerId"],
                                "excluded": [], "first": None}
        ids = []
        for moment in starts:
            occurrence = dict(record)
            occurrence.update(pattern)
            self._place(occurrence, moment, length, all_day)
            occurrence["Id"] = org.new_id("00U")
            occurrence["_seriesId"] = series_id
            occurrence["_originalStart"] = occurrence["StartDateTime"]
            org.records["Event"][occurrence["Id"]] = occurrence
            org.after_event_write(occurrence)
            org.publish_change("Event", "CREATE", occurrence, [], user_id)
            present = {r["RelationId"]: r for r in org.relations_of(occurrence["Id"])}
            for relation in relations or []:
                row = present.get(relation["RelationId"])
                if row is None:
                    org.create("EventRelation", {
                        "EventId": occurrence["Id"], "RelationId": relation["RelationId"],
                        "IsInvitee": True, "IsParent": relation["IsParent"],
                        "IsWhat": relation["IsWhat"]}, user_id)
                elif not row["IsInvitee"]:  # the WhoId's row: invited too
                    org.update("EventRelation", row["Id"], {"IsInvitee": True}, user_id)
            ids.append(occurrence["Id"])
        self.book[series_id]["first"] = ids[0]
        return ids[0]

    @staticmethod
    def _place(record: dict[str, Any], moment: datetime, length: timedelta, all_day: bool
               ) -> None:
        end = moment + length
        record.update({
            "StartDateTime": format_datetime(moment),
            "EndDateTime": format_datetime(end),
            "ActivityDate": moment.date().isoformat(),
            "ActivityDateTime": None if all_day else format_datetime(moment),
            "EndDate": end.date().isoformat(),
        })

    # -- reading ------------------------------------------------------------------------
    def occurrences(self, series_id: str) -> list[dict[str, Any]]:
        rows = [e for e in self.org.records["Event"].values()
                if e.get("_seriesId") == series_id and not e.get("IsChild")]
        return sorted(rows, key=lambda e: e["_originalStart"])

    def series_of(self, record: dict[str, Any]) -> dict[str, Any] | None:
        series_id = record.get("_seriesId")
        return self.book.get(series_id) if series_id else None

    # -- update -------------------------------------------------------------------------
    def is_pattern_change(self, record: dict[str, Any], values: dict[str, Any]) -> bool:
        for name in PATTERN_FIELDS:
            if name not in values:
                continue
            new, old = values[name], record.get(name)
            if name == "Recurrence2PatternText":
                new = normalize_rule(new)
            elif name == "Recurrence2PatternStartDate" and new is not None:
                new, old = parse_datetime(new), parse_datetime(old) if old else None
            if new != old:
                return True
        return False

    def change_pattern(self, record: dict[str, Any], candidate: dict[str, Any],
                       values: dict[str, Any], user_id: str) -> str:
        """A critical change on ``record`` (``candidate``: the record as edited, times
        derived): the series is cut before it and recreated from it with the new pattern
        (from the first occurrence: the whole series, whose occurrences already past stay
        as exclusions). Answers the new series' first occurrence id."""
        org = self.org
        series = self.series_of(record)
        if series is None:
            raise bad_request("FIELD_INTEGRITY_EXCEPTION", "This event isn't part of an event "
                              "series.", list(PATTERN_FIELDS))
        relations = [dict(r) for r in org.relations_of(record["Id"]) if r["IsInvitee"]]
        whole = self._cut(series, record, keep_past=True)
        fields = {k: v for k, v in candidate.items() if not k.startswith("_") and k not in (
            "Id", "IsRecurrence2Exception", "IsRecurrence2Exclusion")}
        pattern = {"Recurrence2PatternText": candidate["Recurrence2PatternText"],
                   "Recurrence2PatternTimeZone": candidate["Recurrence2PatternTimeZone"],
                   "Recurrence2PatternStartDate": values.get("Recurrence2PatternStartDate")
                   or candidate["StartDateTime"]}
        return self.create(fields, pattern, user_id, relations,
                           not_before=datetime.now(UTC) if whole else None)

    def _cut(self, series: dict[str, Any], record: dict[str, Any], keep_past: bool) -> bool:
        """Remove ``record`` and every later occurrence; earlier ones keep the series
        (ended before ``record``), or, for a whole series, become exclusions when past."""
        org = self.org
        cut = record["_originalStart"]
        rows = self.occurrences(series["Id"])
        now = datetime.now(UTC)
        whole = rows and rows[0]["Id"] == record["Id"]
        for row in rows:
            if row["_originalStart"] < cut:
                rule = until_before(row["Recurrence2PatternText"], parse_datetime(cut))
                row["Recurrence2PatternText"] = rule
                org.touch_event(row)
                continue
            if keep_past and whole and parse_datetime(row["EndDateTime"]) <= now:
                row.update({"IsRecurrence2Exclusion": True, "_seriesId": None})
                org.touch_event(row)
                continue
            org.delete_event_tree(row)
        if whole:
            self.book.pop(series["Id"], None)
        return bool(whole)

    def edit_occurrence(self, record: dict[str, Any], changed: bool) -> None:
        if changed and record.get("_seriesId"):
            record["IsRecurrence2Exception"] = True

    # -- delete -------------------------------------------------------------------------
    def delete_occurrence(self, record: dict[str, Any]) -> None:
        series = self.series_of(record)
        if series is None:
            return
        series["excluded"].append(record["_originalStart"])
        if not self.occurrences(series["Id"]):
            self.book.pop(series["Id"], None)

    def delete_onwards(self, record: dict[str, Any]) -> None:
        series = self.series_of(record)
        if not record.get("IsRecurrence2") or record.get("IsRecurrence2Exclusion") \
                or record.get("IsChild") or series is None:
            raise bad_request("FIELD_INTEGRITY_EXCEPTION", "You can delete from an event "
                              "onwards only in an event series (IsRecurrence2 true, "
                              "IsRecurrence2Exclusion false) and not from a child event.",
                              ["Id"])
        self._cut(series, record, keep_past=False)

