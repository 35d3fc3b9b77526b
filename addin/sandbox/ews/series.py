"""Operations on recurring series in the EWS emulator: which item an id element names
(ItemId, OccurrenceItemId, RecurringMasterItemId), editing one occurrence (it becomes an
exception, kept on the master's ModifiedOccurrences), deleting one (DeletedOccurrences),
and the CalendarView expansion.

Exchange's rules kept: a change of the master's Recurrence, Start or End drops its
exceptions and deleted occurrences; an occurrence takes no Recurrence of its own and
cannot move onto or past a neighbour's day (ErrorOccurrenceCrossingBoundary); a FindItem
CalendarView lists occurrences and exceptions, never masters (without a view, masters).

Emails: a change of one occurrence reaches that occurrence's attendees as the send mode
says (recorded with ``scope: occurrence``); deleting an occurrence with a Send mode
cancels it for each of its attendees, once."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lxml import etree

from addin.sandbox.ews import items as shapes
from addin.sandbox.ews import recurrence
from addin.sandbox.ews.soap import EwsError, t

if TYPE_CHECKING:
    from addin.sandbox.ews.app import Ews

ID_TAGS = ("ItemId", "OccurrenceItemId", "RecurringMasterItemId")
RETIMING = {"calendar:Recurrence", "calendar:Start", "calendar:End"}
SEND_ALL = ("SendOnlyToAll", "SendToAllAndSaveCopy")
SEND_CHANGED = ("SendOnlyToChanged", "SendToChangedAndSaveCopy")


def id_node(parent: etree._Element) -> etree._Element | None:
    for tag in ID_TAGS:
        found = parent.find(t(tag))
        if found is not None:
            return found
    return None


def lookup(ews: Ews, owner: str, node: etree._Element | None) -> dict[str, Any]:
    """The item an id element names: a single item, a master, or one occurrence."""
    if node is None:
        raise EwsError("ErrorInvalidIdEmpty", "The Id is empty.")
    kind = etree.QName(node).localname
    if kind == "OccurrenceItemId":
        master = ews.find(owner, node.get("RecurringMasterId"))
        index = node.get("InstanceIndex") or ""
        if not index.isdigit():
            raise EwsError("ErrorSchemaValidation", "InstanceIndex must be a number.")
        return recurrence.by_index(master, int(index))
    if kind == "RecurringMasterItemId":
        target = node.get("OccurrenceId") or ""
        match = recurrence.OCCURRENCE_ID.match(target)
        if match is None:
            ews.find(owner, target)
            raise EwsError("ErrorItemIsNotAnOccurrence", "The item is not an occurrence "
                           "of a recurring series.")
        return ews.find(owner, match["master"])
    item_id = node.get("Id") or ""
    found = ews.store.get(owner, item_id)
    if found is not None:
        return found.resource
    match = recurrence.OCCURRENCE_ID.match(item_id)
    series = ews.store.get(owner, match["master"]) if match else None
    occurrence = recurrence.by_id(series.resource, match["key"]) if series and match \
        else None
    if occurrence is None:
        return ews.find(owner, item_id)  # raises ErrorItemNotFound
    return occurrence


def expand(rows: list[dict[str, Any]], window: tuple[datetime, datetime]
           ) -> list[dict[str, Any]]:
    """A CalendarView: single items and the series' instances that overlap it."""
    out: list[dict[str, Any]] = []
    for row in rows:
        if row["fields"].get("calendar:Recurrence"):
            out += recurrence.instances(row, window)
        elif datetime.fromisoformat(row["fields"]["calendar:End"]) > window[0] and \
                datetime.fromisoformat(row["fields"]["calendar:Start"]) < window[1]:
            out.append(row)
    return sorted(out, key=lambda r: (r["fields"]["calendar:Start"], r["created"]))


def retimed(before: dict[str, Any], item: dict[str, Any], touched: set[str]) -> None:
    """A master whose pattern or times changed loses its exceptions and deletions."""
    if RETIMING & touched and item["fields"].get("calendar:Recurrence"):
        item["exceptions"], item["cancelled"] = {}, []


def change_occurrence(ews: Ews, owner: str, target: dict[str, Any], change_key: str | None,
                      resolution: str, send: str | None, updates: etree._Element | None
                      ) -> dict[str, Any]:
    """UpdateItem of one occurrence: it becomes (or stays) an exception."""
    with ews.store.lock:
        changed, touched = ews.apply(target, updates)
        if "calendar:Recurrence" in touched:
            raise EwsError("ErrorInvalidPropertySet", "An occurrence of a series cannot "
                           "have a recurrence of its own.")
        ews.check_conflict(target, change_key, resolution, touched)
        after = _keep_exception(ews, owner, target, changed)
    mail(ews, owner, target["fields"], after["fields"], send)
    ews.subscriptions.record(owner, "ModifiedEvent", target["occurrence"]["master"],
                             ews.folder_id(owner))
    return after


def edit_occurrence(ews: Ews, owner: str, target: dict[str, Any], fields: dict[str, Any],
                    send: str) -> dict[str, Any]:
    """The organizer edits one occurrence in Outlook (sandbox UI)."""
    with ews.store.lock:
        merged = {**target["fields"], **fields}
        shapes.check(merged)
        changed = {**target, "fields": merged, "modified": datetime.now(UTC).isoformat()}
        after = _keep_exception(ews, owner, target, changed)
    mail(ews, owner, target["fields"], after["fields"], send)
    ews.subscriptions.record(owner, "ModifiedEvent", target["occurrence"]["master"],
                             ews.folder_id(owner))
    return after


def _keep_exception(ews: Ews, owner: str, target: dict[str, Any], changed: dict[str, Any]
                    ) -> dict[str, Any]:
    """Store ``changed`` (the occurrence after an edit) as an exception on its master."""
    master = ews.find(owner, target["occurrence"]["master"])
    original = datetime.fromisoformat(target["occurrence"]["original"])
    _check_boundary(master, original, datetime.fromisoformat(
        changed["fields"]["calendar:Start"]))
    fields = {u: v for u, v in changed["fields"].items() if master["fields"].get(u) != v}
    exceptions = {**(master.get("exceptions") or {}), recurrence.key(original): {
        "fields": fields, "changeKey": "DwAAABYAAAA" + secrets.token_urlsafe(12),
        "modified": changed["modified"]}}
    stored = {**master, "exceptions": exceptions, "modified": changed["modified"],
              "changeKey": "DwAAABYAAAA" + secrets.token_urlsafe(12)}
    ews.store.put(owner, master["id"], stored)
    return recurrence.occurrence(stored, original, target["occurrence"]["index"])


def _check_boundary(master: dict[str, Any], original: datetime, moved: datetime) -> None:
    zone = recurrence.exchange.zone(recurrence.zone_of(master["fields"]))
    before, after = recurrence.neighbours(master, original)
    day = moved.astimezone(zone).date()
    if (before is not None and day <= before.astimezone(zone).date()) or \
            (after is not None and day >= after.astimezone(zone).date()):
        raise EwsError("ErrorOccurrenceCrossingBoundary", "An occurrence can't be moved to "
                       "or before the day of the previous occurrence, or to or after the day "
                       "of the next one.")


def cancel_occurrence(ews: Ews, owner: str, target: dict[str, Any], send: str | None) -> None:
    """DeleteItem of one occurrence: it joins the master's DeletedOccurrences."""
    with ews.store.lock:
        master = ews.find(owner, target["occurrence"]["master"])
        k = recurrence.key(datetime.fromisoformat(target["occurrence"]["original"]))
        stored = {**master, "cancelled": sorted({*(master.get("cancelled") or []), k}),
                  "exceptions": {x: v for x, v in (master.get("exceptions") or {}).items()
                                 if x != k},
                  "changeKey": "DwAAABYAAAA" + secrets.token_urlsafe(12)}
        ews.store.put(owner, master["id"], stored)
    if send in SEND_ALL:
        mail(ews, owner, target["fields"], None, send)
    ews.subscriptions.record(owner, "ModifiedEvent", master["id"], ews.folder_id(owner))


def mail(ews: Ews, owner: str, before: dict[str, Any], after: dict[str, Any] | None,
         send: str | None) -> None:
    if send not in (*SEND_ALL, *SEND_CHANGED):
        return
    old = {e.lower(): e for e in shapes.attendees(before)}
    new = {e.lower(): e for e in shapes.attendees(after)} if after is not None else {}
    plan = [(new[k], "invitation") for k in new if k not in old]
    plan += [(old[k], "cancellation") for k in old if k not in new]
    if send in SEND_ALL and after is not None:
        plan += [(new[k], "update") for k in new if k in old]
    subject = str((after or before).get("item:Subject") or "")
    for recipient, kind in plan:
        if recipient.lower() != owner:
            ews.state.mail.record(sender="ews", from_=owner, to=recipient, kind=kind,
                                  subject=subject, scope="occurrence",
                                  occurrence=before.get("calendar:Start"))


def mail_exceptions(ews: Ews, owner: str, master: dict[str, Any], kind: str) -> None:
    """A whole series was updated with a SendToAll mode (``update``; only when the setting
    ``exchange.seriesUpdateMailsEachException`` says so) or deleted with a Send mode
    (``cancellation``: MS-OXOCAL's rule, for the edited occurrences not yet past): each
    edited occurrence's attendees get one more email for it."""
    if kind == "update" and not ews.state.setting("exchange.seriesUpdateMailsEachException"):
        return
    now = datetime.now(UTC)
    for k, change in sorted((master.get("exceptions") or {}).items()):
        fields = {**master["fields"], **change["fields"]}
        if kind == "cancellation" and datetime.fromisoformat(
                str(change["fields"].get("calendar:Start") or datetime.strptime(
                    k, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).isoformat())) <= now:
            continue
        for recipient in shapes.attendees(fields):
            if recipient.lower() != owner:
                ews.state.mail.record(
                    sender="ews", from_=owner, to=recipient, kind=kind,
                    subject=str(fields.get("item:Subject") or ""), scope="occurrence",
                    occurrence=datetime.strptime(k, "%Y%m%dT%H%M%SZ").strftime(
                        "%Y-%m-%dT%H:%M:%SZ"))
