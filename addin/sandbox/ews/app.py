"""Exchange Web Services (on-premises Exchange Server), the SOAP endpoint
``/EWS/Exchange.asmx``.

Authentication as an on-premises server offers it: HTTP Basic with the user's email and
the sandbox-issued ``ews`` token as the password, or that token as a Bearer token.

Mail semantics (recorded in the sandbox mail log, sender "ews"), exactly as the request
asks: CreateItem with SendOnlyToAll / SendToAllAndSaveCopy invites every attendee;
UpdateItem with the All modes invites the added, cancels the removed and updates the
kept attendees, the Changed modes reach only the added and removed ones; DeleteItem with
SendMeetingCancellations other than SendToNone cancels for every attendee. SendToNone is
silent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, request
from lxml import etree

from addin.sandbox.calendar_core import CalendarStore, record_attendee_mail
from addin.sandbox.ews import items as shapes
from addin.sandbox.ews import series, soap
from addin.sandbox.ews.items import children
from addin.sandbox.ews.routes import register
from addin.sandbox.ews.soap import EwsError, SoapFault, m, t
from addin.sandbox.ews.subscriptions import Subscriptions
from addin.sandbox.frame import emulator_app, operation
from addin.sandbox.seed import SeedData
from addin.sandbox.state import Fault, SandboxState

PATH = "/EWS/Exchange.asmx"
SEND_ALL = ("SendOnlyToAll", "SendToAllAndSaveCopy")
SEND_CHANGED = ("SendOnlyToChanged", "SendToChangedAndSaveCopy")
HISTORY = 50
MAX_SYNC_CHANGES = 512


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Ews:
    def __init__(self, state: SandboxState, seed: SeedData, base_url: str):
        self.state = state
        self.base_url = base_url
        self.store = CalendarStore()
        self.people = {u.email.lower(): u for u in seed.users}
        self.sync_generation: dict[str, int] = {}
        self.subscriptions = Subscriptions(verify=state.callback_trust)

    # -- what survives a restart (durable.py): data only ------------------------------------
    def durable_state(self) -> dict[str, Any]:
        subs = self.subscriptions
        return {"store": self.store, "sync_generation": dict(self.sync_generation),
                "subscriptions": {"position": subs.position, "log": list(subs.log),
                                  "subscriptions": dict(subs.subscriptions)}}

    def restore_durable(self, saved: dict[str, Any]) -> None:
        self.store = saved["store"]
        self.sync_generation = saved["sync_generation"]
        vars(self.subscriptions).update(saved["subscriptions"])

    # -- who and where ------------------------------------------------------------------
    def caller(self) -> str:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        token: str | None = None
        claimed: str | None = None
        if scheme.lower() == "bearer":
            token = value.strip()
        elif scheme.lower() == "basic":
            try:
                claimed, _, token = base64.b64decode(value.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                token = None
        issued = self.state.tokens.lookup("ews", token) if token else None
        if issued is None or (claimed is not None and claimed.split("\\")[-1].lower()
                              != issued.subject.lower()):
            raise SoapFault("ErrorAccessDenied", "The request failed. The remote server "
                            "returned an error: (401) Unauthorized.", status=401)
        return issued.subject.lower()

    def folder_id(self, owner: str, name: str = "calendar") -> str:
        digest = hashlib.sha256(f"{owner}/{name}".encode()).digest()
        return "AAMkAD" + base64.b64encode(digest).decode()

    def resolve_folder(self, owner: str, holder: etree._Element | None) -> str:
        """The folder a FolderIds / ParentFolderIds / SyncFolderId element names."""
        nodes = list(holder) if holder is not None else []
        if len(nodes) != 1:
            raise EwsError("ErrorInvalidOperation", "Exactly one folder is expected.")
        node = nodes[0]
        if etree.QName(node).localname == "DistinguishedFolderId":
            mailbox = node.findtext(f"{t('Mailbox')}/{t('EmailAddress')}")
            if mailbox and mailbox.lower() != owner:
                raise EwsError("ErrorAccessDenied", "Access is denied. Check credentials "
                               "and try again.")
            return str(node.get("Id"))
        for name in ("calendar", "root", "msgfolderroot"):
            if node.get("Id") == self.folder_id(owner, name):
                return name
        raise EwsError("ErrorFolderNotFound", "The specified folder could not be found in "
                       "the store.")

    def organizer(self, owner: str) -> tuple[str, str]:
        person = self.people.get(owner)
        return owner, person.name if person else owner

    def find(self, owner: str, item_id: str | None) -> dict[str, Any]:
        found = self.store.get(owner, item_id or "")
        if found is None:
            raise EwsError("ErrorItemNotFound", "The specified object was not found in the "
                           "store., The process failed to get the correct properties.")
        return found.resource

    def write(self, parent: etree._Element, owner: str, item: dict[str, Any],
              shape: tuple[set[str] | None, set[str]]) -> None:
        shapes.write_item(parent, item, wanted=shape[0], extended=shape[1],
                          folder_id=self.folder_id(owner), organizer=self.organizer(owner))

    # -- operations -----------------------------------------------------------------------
    def get_folder(self, owner: str, body: etree._Element) -> etree._Element:
        answer, messages = soap.response("GetFolder")
        for node in children(body.find(m("FolderIds"))):
            holder = etree.Element(m("FolderIds"))
            holder.append(node)
            try:
                name = self.resolve_folder(owner, holder)
                if name not in ("calendar", "root", "msgfolderroot"):
                    raise EwsError("ErrorFolderNotFound", "The specified folder could not "
                                   "be found in the store.")
            except EwsError as error:
                soap.message(messages, "GetFolder", error)
                continue
            folders = etree.SubElement(soap.message(messages, "GetFolder"), m("Folders"))
            calendar = name == "calendar"
            folder = etree.SubElement(folders, t("CalendarFolder" if calendar else "Folder"))
            etree.SubElement(folder, t("FolderId"), Id=self.folder_id(owner, name),
                             ChangeKey="AgAAAA==")
            if calendar:
                etree.SubElement(folder, t("ParentFolderId"),
                                 Id=self.folder_id(owner, "msgfolderroot"), ChangeKey="AQAAAA==")
                etree.SubElement(folder, t("FolderClass")).text = "IPF.Appointment"
            etree.SubElement(folder, t("DisplayName")).text = (
                "Calendar" if calendar else "Top of Information Store")
            etree.SubElement(folder, t("TotalCount")).text = str(
                len(self.store.live(owner)) if calendar else 0)
            etree.SubElement(folder, t("ChildFolderCount")).text = "0" if calendar else "1"
        return answer

    def create_item(self, owner: str, body: etree._Element) -> etree._Element:
        send = body.get("SendMeetingInvitations")
        answer, messages = soap.response("CreateItem")
        saved = body.find(m("SavedItemFolderId"))
        for node in children(body.find(m("Items"))):
            try:
                if saved is not None and self.resolve_folder(owner, saved) != "calendar":
                    raise EwsError("ErrorInvalidItemForOperation", "Calendar items go to a "
                                   "calendar folder.")
                if send not in ("SendToNone", *SEND_ALL):
                    raise EwsError("ErrorSendMeetingInvitationsRequired",
                                   "SendMeetingInvitations attribute is required for "
                                   "calendar items.")
                fields, extended = shapes.read_item(node)
                shapes.check(fields)
                with self.store.lock:
                    item_id = "AAMkAG" + secrets.token_urlsafe(48)
                    change_key = "DwAAABYAAAA" + secrets.token_urlsafe(12)
                    now = _now()
                    item = {"id": item_id, "changeKey": change_key, "fields": fields,
                            "extended": extended, "created": now, "modified": now,
                            "uid": "040000008200E00074C5B7101A82E008" + secrets.token_hex(
                                24).upper(),
                            "sequence": 0, "invited": send in SEND_ALL,
                            "history": [[change_key, []]]}
                    stored = self.store.put(owner, item_id, item)
                    item["createdSeq"] = stored.seq
            except EwsError as error:
                soap.message(messages, "CreateItem", error)
                continue
            if send in SEND_ALL:
                self.mail(owner, fields, [], shapes.attendees(fields), update_kept=False)
            self.subscriptions.record(owner, "CreatedEvent", item_id, self.folder_id(owner),
                                      change_key)
            holder = etree.SubElement(soap.message(messages, "CreateItem"), m("Items"))
            self.write(holder, owner, item, ({"item:ItemId"}, set()))
        return answer

    def get_item(self, owner: str, body: etree._Element) -> etree._Element:
        shape = shapes.read_shape(body.find(m("ItemShape")))
        answer, messages = soap.response("GetItem")
        for node in children(body.find(m("ItemIds"))):
            try:
                item = series.lookup(self, owner, node)
            except EwsError as error:
                soap.message(messages, "GetItem", error)
                continue
            holder = etree.SubElement(soap.message(messages, "GetItem"), m("Items"))
            self.write(holder, owner, item, shape)
        return answer

    def update_item(self, owner: str, body: etree._Element) -> etree._Element:
        send = body.get("SendMeetingInvitationsOrCancellations")
        resolution = body.get("ConflictResolution", "AutoResolve")
        answer, messages = soap.response("UpdateItem")
        for change in children(body.find(m("ItemChanges"))):
            try:
                if send not in ("SendToNone", *SEND_ALL, *SEND_CHANGED):
                    raise EwsError("ErrorSendMeetingInvitationsOrCancellationsRequired",
                                   "SendMeetingInvitationsOrCancellations attribute is "
                                   "required for calendar items.")
                item_node = series.id_node(change)
                if item_node is None:
                    raise EwsError("ErrorInvalidIdEmpty", "The Id is empty.")
                target = series.lookup(self, owner, item_node)
                if target.get("occurrence"):
                    item = series.change_occurrence(
                        self, owner, target, item_node.get("ChangeKey"), resolution, send,
                        change.find(t("Updates")))
                else:
                    item = self.change(owner, target["id"], item_node.get("ChangeKey"),
                                       resolution, send, change.find(t("Updates")))
            except EwsError as error:
                soap.message(messages, "UpdateItem", error)
                continue
            node = soap.message(messages, "UpdateItem")
            self.write(etree.SubElement(node, m("Items")), owner, item,
                       ({"item:ItemId"}, set()))
            etree.SubElement(etree.SubElement(node, m("ConflictResults")),
                             t("Count")).text = "0"
        return answer

    def change(self, owner: str, item_id: str | None, change_key: str | None,
               resolution: str, send: str | None, updates: etree._Element | None
               ) -> dict[str, Any]:
        """One ItemChange: applied, stored, emailed as ``send`` says, announced."""
        with self.store.lock:
            before = self.find(owner, item_id)
            item, touched = self.apply(before, updates)
            self.check_conflict(before, change_key, resolution, touched)
            series.retimed(before, item, touched)
            self.store.put(owner, item["id"], item)
        self.announce(owner, before, item, send)
        return item

    def edit(self, owner: str, item_id: str, fields: dict[str, Any], send: str
             ) -> dict[str, Any]:
        """The organizer's own edit in Outlook (sandbox UI): the same effects as an
        UpdateItem that sets ``fields``."""
        target = series.lookup(self, owner, etree.Element(t("ItemId"), Id=item_id))
        if target.get("occurrence"):
            return series.edit_occurrence(self, owner, target, fields, send)
        with self.store.lock:
            before = self.find(owner, item_id)
            merged = _keep_responses(before["fields"], {**before["fields"], **fields})
            change_key = "DwAAABYAAAA" + secrets.token_urlsafe(12)
            item = {**before, "fields": merged, "changeKey": change_key, "modified": _now(),
                    "history": [*before["history"], [change_key, sorted(fields)]][-HISTORY:]}
            series.retimed(before, item, set(fields))
            self.store.put(owner, item_id, item)
        self.announce(owner, before, item, send)
        return item

    def announce(self, owner: str, before: dict[str, Any], item: dict[str, Any],
                 send: str | None) -> None:
        old, new = shapes.attendees(before["fields"]), shapes.attendees(item["fields"])
        if send in SEND_ALL:
            self.mail(owner, item["fields"], old, new, update_kept=True)
            series.mail_exceptions(self, owner, item, "update")
        elif send in SEND_CHANGED:
            self.mail(owner, item["fields"], old, new, update_kept=False)
        self.subscriptions.record(owner, "ModifiedEvent", item["id"], self.folder_id(owner),
                                  item.get("changeKey"))

    def apply(self, before: dict[str, Any], updates: etree._Element | None
              ) -> tuple[dict[str, Any], set[str]]:
        """The item after SetItemField / AppendToItemField / DeleteItemField, and the
        fields those touched."""
        fields = dict(before["fields"])
        extended = dict(before["extended"])
        touched: set[str] = set()
        for update in children(updates):
            kind = etree.QName(update).localname
            target = update[0]
            target_kind = etree.QName(target).localname
            if target_kind == "ExtendedFieldURI":
                key = shapes.property_key(target)
                touched.add(key)
                if kind == "DeleteItemField":
                    extended.pop(key, None)
                    continue
                prop_node = update.find(f"{t('CalendarItem')}/{t('ExtendedProperty')}")
                if prop_node is None:
                    raise EwsError("ErrorIncorrectUpdatePropertyCount", "An object within a "
                                   "change description must contain one and only one "
                                   "property to modify.")
                key, prop = shapes.read_extended(prop_node)
                extended[key] = prop
                continue
            uri = target.get("FieldURI", "")
            if uri not in shapes.FIELDS:
                raise EwsError("ErrorInvalidPropertyRequest", f"The property {uri} is not "
                               "supported by the emulator.")
            touched.add(uri)
            if kind == "DeleteItemField":
                if shapes.FIELDS[uri] == "computed" or uri in ("calendar:Start",
                                                               "calendar:End"):
                    raise EwsError("ErrorInvalidPropertyDelete", "The property cannot be "
                                   "deleted.")
                fields.pop(uri, None)
                continue
            holder = update.find(t("CalendarItem"))
            values = list(holder) if holder is not None else []
            if len(values) != 1:
                raise EwsError("ErrorIncorrectUpdatePropertyCount", "An object within a "
                               "change description must contain one and only one property "
                               "to modify.")
            value = shapes.read_value(uri, values[0])
            if kind == "AppendToItemField":
                if shapes.FIELDS[uri] not in ("attendees", "strings"):
                    raise EwsError("ErrorInvalidPropertyAppend", "The property cannot be "
                                   "appended to.")
                value = list(fields.get(uri) or []) + value
            fields[uri] = value
        shapes.check(fields)
        if {"calendar:RequiredAttendees", "calendar:OptionalAttendees"} & touched:
            fields = _keep_responses(before["fields"], fields)
        change_key = "DwAAABYAAAA" + secrets.token_urlsafe(12)
        history = [*before["history"], [change_key, sorted(touched)]][-HISTORY:]
        meeting_moved = {"calendar:Start", "calendar:End", "calendar:Location"} & touched
        return {**before, "fields": fields, "extended": extended, "changeKey": change_key,
                "modified": _now(), "history": history,
                "sequence": before["sequence"] + (1 if meeting_moved else 0)}, touched

    @staticmethod
    def check_conflict(before: dict[str, Any], change_key: str | None, resolution: str,
                       touched: set[str]) -> None:
        """A stale ChangeKey: NeverOverwrite refuses, AutoResolve refuses when a field it
        sets changed since, AlwaysOverwrite goes on."""
        if not change_key or change_key == before["changeKey"] or (
                resolution == "AlwaysOverwrite"):
            return
        keys = [entry[0] for entry in before["history"]]
        if change_key in keys and resolution == "AutoResolve":
            since = {f for entry in before["history"][keys.index(change_key) + 1:]
                     for f in entry[1]}
            if not since & touched:
                return
        raise EwsError("ErrorIrresolvableConflict", "The send or update operation could not "
                       "be performed because the change key passed in the request does not "
                       "match the current change key for the item.")

    def delete_item(self, owner: str, body: etree._Element) -> etree._Element:
        send = body.get("SendMeetingCancellations")
        answer, messages = soap.response("DeleteItem")
        for node in children(body.find(m("ItemIds"))):
            try:
                if send not in ("SendToNone", *SEND_ALL):
                    raise EwsError("ErrorSendMeetingCancellationsRequired",
                                   "SendMeetingCancellations attribute is required for "
                                   "calendar items.")
                with self.store.lock:
                    item = series.lookup(self, owner, node)
                    if not item.get("occurrence"):
                        self.store.delete(owner, item["id"])
                if item.get("occurrence"):
                    series.cancel_occurrence(self, owner, item, send)
                    soap.message(messages, "DeleteItem")
                    continue
            except EwsError as error:
                soap.message(messages, "DeleteItem", error)
                continue
            if send in SEND_ALL:
                self.mail(owner, item["fields"], shapes.attendees(item["fields"]), [],
                          update_kept=False)
                series.mail_exceptions(self, owner, item, "cancellation")
            self.subscriptions.record(owner, "DeletedEvent", item["id"],
                                      self.folder_id(owner))
            soap.message(messages, "DeleteItem")
        return answer

    def find_item(self, owner: str, body: etree._Element) -> etree._Element:
        answer, messages = soap.response("FindItem")
        try:
            if self.resolve_folder(owner, body.find(m("ParentFolderIds"))) != "calendar":
                raise EwsError("ErrorFolderNotFound", "Only the calendar folder holds items.")
            shape = shapes.read_shape(body.find(m("ItemShape")))
            rows = sorted((i.resource for i in self.store.live(owner)),
                          key=lambda r: (r["fields"]["calendar:Start"], r["created"]))
            restriction = body.find(m("Restriction"))
            if restriction is not None and len(restriction):
                rows = [r for r in rows if shapes.matches(r, restriction[0])]
            view = body.find(m("CalendarView"))
            offset, limit = 0, None
            if view is not None:
                start = soap.parse_datetime(view.get("StartDate"), "StartDate")
                end = soap.parse_datetime(view.get("EndDate"), "EndDate")
                rows = series.expand(rows, (start, end))
                limit = int(view.get("MaxEntriesReturned") or 0) or None
            paging = body.find(m("IndexedPageItemView"))
            if paging is not None:
                offset = int(paging.get("Offset") or 0)
                limit = int(paging.get("MaxEntriesReturned") or 0) or None
        except (EwsError, ValueError) as error:
            soap.message(messages, "FindItem", error if isinstance(error, EwsError) else
                         EwsError("ErrorSchemaValidation", str(error)))
            return answer
        page = rows[offset: offset + limit if limit else None]
        last = offset + len(page) >= len(rows)
        folder = etree.SubElement(soap.message(messages, "FindItem"), m("RootFolder"),
                                  TotalItemsInView=str(len(rows)),
                                  IncludesLastItemInRange=soap.bool_text(last))
        if paging is not None:
            folder.set("IndexedPagingOffset", str(offset + len(page)))
        holder = etree.SubElement(folder, t("Items"))
        for row in page:
            self.write(holder, owner, row, shape)
        return answer

    def sync_folder_items(self, owner: str, body: etree._Element) -> etree._Element:
        answer, messages = soap.response("SyncFolderItems")
        try:
            if self.resolve_folder(owner, body.find(m("SyncFolderId"))) != "calendar":
                raise EwsError("ErrorFolderNotFound", "Only the calendar folder holds items.")
            shape = shapes.read_shape(body.find(m("ItemShape")))
            since = self.read_sync_state(owner, body.findtext(m("SyncState")))
            limit = int(body.findtext(m("MaxChangesReturned")) or 0)
            if not 1 <= limit <= MAX_SYNC_CHANGES:
                raise EwsError("ErrorInvalidArgument", "MaxChangesReturned must be between "
                               f"1 and {MAX_SYNC_CHANGES}.")
        except (EwsError, ValueError) as error:
            node = soap.message(messages, "SyncFolderItems", error if isinstance(
                error, EwsError) else EwsError("ErrorSchemaValidation", str(error)))
            etree.SubElement(node, m("SyncState"))  # Exchange sends both, empty, on errors
            etree.SubElement(node, m("IncludesLastItemInRange")).text = "true"
            return answer
        with self.store.lock:
            changes = [i for i in self.store.changed_since(owner, since)
                       if not (i.deleted and i.resource.get("createdSeq", 0) > since)]
            page = changes[:limit]
            last = len(page) == len(changes)
            mark = page[-1].seq if page else since
        node = soap.message(messages, "SyncFolderItems")
        etree.SubElement(node, m("SyncState")).text = self.sync_state(owner, mark)
        etree.SubElement(node, m("IncludesLastItemInRange")).text = soap.bool_text(last)
        holder = etree.SubElement(node, m("Changes"))
        for stored in page:
            if stored.deleted:
                gone = etree.SubElement(holder, t("Delete"))
                etree.SubElement(gone, t("ItemId"), Id=stored.id,
                                 ChangeKey=stored.resource["changeKey"])
                continue
            kind = "Create" if stored.resource.get("createdSeq", 0) > since else "Update"
            self.write(etree.SubElement(holder, t(kind)), owner, stored.resource, shape)
        return answer

    def sync_state(self, owner: str, seq: int) -> str:
        generation = self.sync_generation.get(owner, 0)
        return base64.b64encode(json.dumps([owner, seq, generation]).encode()).decode()

    def read_sync_state(self, owner: str, value: str | None) -> int:
        if not value:
            return 0
        try:
            who, seq, generation = json.loads(base64.b64decode(value))
        except (ValueError, binascii.Error, TypeError):
            who, seq, generation = None, 0, -1
        if who != owner or generation != self.sync_generation.get(owner, 0):
            raise EwsError("ErrorInvalidSyncStateData", "Synchronization state data is "
                           "corrupt or otherwise invalid.")
        return int(seq)

    def mail(self, owner: str, fields: dict[str, Any], old: list[str], new: list[str],
             update_kept: bool) -> None:
        record_attendee_mail(self.state, sender="ews", organizer=owner,
                             subject=fields.get("item:Subject") or "", before=old, after=new,
                             update_others=update_kept)


def _keep_responses(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Attendees who stay keep the response they gave."""
    known = {a["email"].lower(): a for uri in shapes.ATTENDEE_FIELDS
             for a in before.get(uri) or []}
    out = dict(after)
    for uri in shapes.ATTENDEE_FIELDS:
        if uri in out:
            out[uri] = [{**a, "response": known[a["email"].lower()]["response"],
                         "time": known[a["email"].lower()].get("time")}
                        if a["email"].lower() in known else {**a, "response": "Unknown"}
                        for a in out[uri]]
    return out


OPERATIONS = {
    "GetFolder": Ews.get_folder, "CreateItem": Ews.create_item, "GetItem": Ews.get_item,
    "UpdateItem": Ews.update_item, "DeleteItem": Ews.delete_item,
    "FindItem": Ews.find_item, "SyncFolderItems": Ews.sync_folder_items,
}


def _soap(content: bytes, status: int = 200) -> Response:
    return Response(content, status=status, mimetype="text/xml", content_type=(
        "text/xml; charset=utf-8"))


def fault_response(fault: Fault) -> Response:
    """An injected fault as Exchange answers it, always a SOAP fault with HTTP 500: a busy
    server (429 / 503 asked) says ErrorServerBusy with its back-off hint (the fault's
    retryAfter); any other status asked is an ErrorInternalServerError."""
    if fault.status in (429, 503):
        back_off = fault.retry_after * 1000 if fault.retry_after is not None else None
        return _soap(soap.fault("ErrorServerBusy", "The server cannot service this request "
                                "right now. Try again later.", back_off), 500)
    return _soap(soap.fault("ErrorInternalServerError", "An internal server error "
                            "occurred. The operation failed."), 500)


def create_app(state: SandboxState, seed: SeedData, base_url: str) -> Flask:
    app = emulator_app("ews", state, lambda status, message, code: {}, exempt_paths=(
        "/sandbox-ui",), fault_response=fault_response)
    ews = state.keep("ews", Ews(state, seed, base_url))
    app.extensions["ews"] = ews

    @app.errorhandler(SoapFault)
    def _fault(exc: SoapFault) -> Response:
        response = _soap(soap.fault(exc.code, exc.message, exc.back_off_ms), exc.status)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="127.0.0.1", Bearer'
        return response

    @app.errorhandler(EwsError)
    def _request_error(exc: EwsError) -> Response:
        return _soap(soap.fault(exc.code, exc.message), 500)

    @app.post(PATH)
    def exchange() -> Response:
        owner = ews.caller()
        body = soap.parse_request(request.get_data())
        name = etree.QName(body).localname
        operation(name)
        if name in OPERATIONS:
            return _soap(soap.envelope(OPERATIONS[name](ews, owner, body)))
        handler = ews.subscriptions.operations().get(name)
        if handler is None:
            raise SoapFault("ErrorInvalidRequest", f"The emulator does not offer {name}.")
        return _soap(soap.envelope(handler(owner, body)))

    register(app, ews)
    return app
