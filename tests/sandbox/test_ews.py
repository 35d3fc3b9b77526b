"""The EWS emulator on the wire (SOAP built and read with lxml): request-level faults,
per-item errors, field deletes, restrictions, paging, the sandbox UI actions, and its
state surviving a restart of a durable sandbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from lxml import etree

from addin.sandbox import SandboxRuntime
from addin.sandbox.ews.soap import SOAP, M, T
from tests.clock import at, day, z
from tests.sandbox.conftest import EVE, FINN

NS = {"s": SOAP, "m": M, "t": T}
START = at(day(1), "09:00")  # the Tuesday of the test week, 09:00 UTC


def envelope(operation: str, attributes: dict[str, str] | None = None,
             build: Any = None) -> bytes:
    root = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"s": SOAP, "m": M, "t": T})
    body = etree.SubElement(root, f"{{{SOAP}}}Body")
    request = etree.SubElement(body, f"{{{M}}}{operation}", attributes or {})
    if build is not None:
        build(request)
    return bytes(etree.tostring(root))


def sub(parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
    namespace = M if tag.startswith("m:") else T
    node = etree.SubElement(parent, f"{{{namespace}}}{tag[2:]}", attributes)
    node.text = text
    return node


class Wire:
    def __init__(self, sandbox: SandboxRuntime, email: str = EVE):
        self.sandbox, self.email = sandbox, email
        self.http = requests.Session()
        self.http.verify, self.http.trust_env = sandbox.ca_path, False
        self.auth = (email, sandbox.user(email).upstream_tokens["ews"])

    def post(self, data: bytes) -> tuple[int, Any]:
        answer = self.http.post(self.sandbox.services["ews"], data=data, auth=self.auth,
                                headers={"Content-Type": "text/xml; charset=utf-8"})
        return answer.status_code, etree.fromstring(answer.content)

    def create(self, subject: str = "Wire", attendees: tuple[str, ...] = (),
               send: str = "SendToNone", start: datetime = START) -> str:
        def build(request: Any) -> None:
            item = sub(sub(request, "m:Items"), "t:CalendarItem")
            sub(item, "t:Subject", subject)
            sub(item, "t:Start", z(start))
            sub(item, "t:End", z(start + timedelta(hours=1)))
            if attendees:
                holder = sub(item, "t:RequiredAttendees")
                for email in attendees:
                    sub(sub(sub(holder, "t:Attendee"), "t:Mailbox"), "t:EmailAddress", email)

        status, root = self.post(envelope("CreateItem", {"SendMeetingInvitations": send},
                                          build))
        assert status == 200
        return str(root.find(".//t:ItemId", NS).get("Id"))


@pytest.fixture
def wire(clean_sandbox: SandboxRuntime) -> Wire:
    return Wire(clean_sandbox)


def test_every_answer_carries_the_server_version(wire: Wire) -> None:
    status, root = wire.post(envelope("GetFolder", build=lambda r: sub(
        sub(r, "m:FolderIds"), "t:DistinguishedFolderId", Id="calendar")))
    assert status == 200
    info = root.find("s:Header/t:ServerVersionInfo", NS)
    assert info.get("MajorVersion") == "15" and info.get("Version")
    assert root.find(".//t:CalendarFolder/t:FolderClass", NS).text == "IPF.Appointment"


def test_request_level_errors_are_soap_faults(wire: Wire) -> None:
    status, root = wire.post(b"<not-soap/>")
    assert status == 500 and root.find(".//faultstring") is not None
    status, root = wire.post(envelope("ResolveNames"))
    assert status == 500 and "ResolveNames" in root.find(".//faultstring").text


def test_item_level_errors_are_response_messages(wire: Wire) -> None:
    status, root = wire.post(envelope("GetItem", build=lambda r: (
        sub(sub(r, "m:ItemShape"), "t:BaseShape", "IdOnly"),
        sub(sub(r, "m:ItemIds"), "t:ItemId", Id="AAMkAGnope"))))
    message = root.find(".//m:GetItemResponseMessage", NS)
    assert status == 200 and message.get("ResponseClass") == "Error"
    assert message.find("m:ResponseCode", NS).text == "ErrorItemNotFound"
    status, root = wire.post(envelope("CreateItem", build=lambda r: sub(
        sub(r, "m:Items"), "t:CalendarItem")))  # no SendMeetingInvitations
    assert root.find(".//m:ResponseCode", NS).text == "ErrorSendMeetingInvitationsRequired"
    status, root = wire.post(envelope("DeleteItem", build=lambda r: sub(
        sub(r, "m:ItemIds"), "t:ItemId", Id=wire.create())))
    assert root.find(".//m:ResponseCode", NS).text == "ErrorSendMeetingCancellationsRequired"


def test_delete_item_field_and_read_only_fields(wire: Wire,
                                                clean_sandbox: SandboxRuntime) -> None:
    item_id = wire.create(attendees=("a@x.example",))

    def update(build_updates: Any, send: str = "SendToNone") -> Any:
        def build(request: Any) -> None:
            change = sub(sub(request, "m:ItemChanges"), "t:ItemChange")
            sub(change, "t:ItemId", Id=item_id)
            build_updates(sub(change, "t:Updates"))
        return wire.post(envelope("UpdateItem", {
            "SendMeetingInvitationsOrCancellations": send,
            "ConflictResolution": "AlwaysOverwrite"}, build))[1]

    root = update(lambda u: sub(sub(u, "t:DeleteItemField"), "t:FieldURI",
                                FieldURI="calendar:RequiredAttendees"),
                  send="SendToChangedAndSaveCopy")
    assert root.find(".//m:ResponseCode", NS).text == "NoError"
    assert [(m["kind"], m["to"]) for m in clean_sandbox.state.mail.messages()] == [
        ("cancellation", "a@x.example")]
    root = update(lambda u: sub(sub(sub(u, "t:SetItemField"), "t:FieldURI",
                                    FieldURI="calendar:IsMeeting").getparent(),
                                "t:CalendarItem"))
    assert root.find(".//m:ResponseCode", NS).text == "ErrorIncorrectUpdatePropertyCount"

    def set_is_meeting(updates: Any) -> None:
        change = sub(updates, "t:SetItemField")
        sub(change, "t:FieldURI", FieldURI="calendar:IsMeeting")
        sub(sub(change, "t:CalendarItem"), "t:IsMeeting", "true")

    root = update(set_is_meeting)
    assert root.find(".//m:ResponseCode", NS).text == "ErrorInvalidPropertySet"


def test_indexed_paging_and_restrictions(wire: Wire) -> None:
    ids = [wire.create(f"Page {n}", start=START + timedelta(days=n)) for n in range(3)]

    def find(offset: int, build_restriction: Any = None) -> Any:
        def build(request: Any) -> None:
            sub(sub(request, "m:ItemShape"), "t:BaseShape", "Default")
            sub(request, "m:IndexedPageItemView", MaxEntriesReturned="2", Offset=str(offset),
                BasePoint="Beginning")
            if build_restriction is not None:
                build_restriction(sub(request, "m:Restriction"))
            sub(sub(request, "m:ParentFolderIds"), "t:DistinguishedFolderId", Id="calendar")
        return wire.post(envelope("FindItem", {"Traversal": "Shallow"}, build))[1]

    seen: list[str] = []
    offset, pages = 0, 0
    while True:  # the mailbox may hold other tests' items too: page to the end
        folder = find(offset).find(".//m:RootFolder", NS)
        page = [e.get("Id") for e in folder.iterfind(".//t:ItemId", NS)]
        assert len(page) <= 2
        seen += page
        pages += 1
        if folder.get("IncludesLastItemInRange") == "true":
            break
        offset = int(folder.get("IndexedPagingOffset"))
        assert offset == len(seen)
    assert pages >= 2 and set(ids) <= set(seen) and len(seen) == len(set(seen))

    def subject_is(restriction: Any) -> None:
        equal = sub(restriction, "t:IsEqualTo")
        sub(equal, "t:FieldURI", FieldURI="item:Subject")
        sub(sub(equal, "t:FieldURIOrConstant"), "t:Constant", Value="Page 1")

    hits = find(0, subject_is).findall(".//t:ItemId", NS)
    assert ids[1] in [h.get("Id") for h in hits]


def test_sandbox_ui_answers_bad_input_with_the_envelope(clean_sandbox: SandboxRuntime,
                                                        upstream: requests.Session) -> None:
    origin = clean_sandbox.origins["ews"]
    answer = upstream.post(f"{origin}/sandbox-ui/mailboxes/{EVE}/items/nope/respond",
                           json={"email": "a@x.example", "response": "Maybe"})
    assert answer.status_code == 400 and "response" in answer.json()["error"]["fields"]
    answer = upstream.post(f"{origin}/sandbox-ui/mailboxes/{EVE}/items/nope/edit",
                           json={"attendees": ["a@x.example"]})
    assert answer.status_code == 404


def test_mailbox_of_someone_else_is_denied(wire: Wire) -> None:
    _, root = wire.post(envelope("GetFolder", build=lambda r: sub(sub(sub(
        sub(r, "m:FolderIds"), "t:DistinguishedFolderId", Id="calendar"), "t:Mailbox"),
        "t:EmailAddress", FINN)))
    assert root.find(".//m:ResponseCode", NS).text == "ErrorAccessDenied"


def test_items_survive_a_restart_of_a_durable_sandbox(tmp_path: Path) -> None:
    runtime = SandboxRuntime(tmp_path / "instance", state_dir=tmp_path / "state",
                             control_tls=False).start()
    try:
        item_id = Wire(runtime).create("Kept across restarts")
    finally:
        runtime.stop()
    again = SandboxRuntime(tmp_path / "instance", state_dir=tmp_path / "state",
                           control_tls=False).start()
    try:
        assert again.restored
        _, root = Wire(again).post(envelope("GetItem", build=lambda r: (
            sub(sub(r, "m:ItemShape"), "t:BaseShape", "Default"),
            sub(sub(r, "m:ItemIds"), "t:ItemId", Id=item_id))))
        assert root.find(".//t:Subject", NS).text == "Kept across restarts"
    finally:
        again.stop()
