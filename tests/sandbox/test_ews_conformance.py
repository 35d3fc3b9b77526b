"""exchangelib, unmodified, against the EWS emulator over TLS with the sandbox CA: create,
read, update, CalendarView, restriction on an extended property, SyncFolderItems, delete,
and the emails Exchange sends for each SendMeeting* mode."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import requests
from exchangelib import Account, Attendee, CalendarItem, EWSDateTime, EWSTimeZone, Mailbox
from exchangelib.errors import (
    ErrorIrresolvableConflict,
    ErrorItemNotFound,
    ErrorServerBusy,
    TransportError,
    UnauthorizedError,
)
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.protocol import BaseProtocol, FailFast

from addin.sandbox import SandboxRuntime
from addin.sandbox.state import Fault
from tests.sandbox.conftest import EVE, FINN, ews_mail

BERLIN = EWSTimeZone("Europe/Berlin")


class SalesforceEventId(ExtendedProperty):
    property_set_id = "5c1f7a3e-8d2b-4a55-9e8e-7f0a3b1d2c4e"
    property_name = "SalesforceEventId"
    property_type = "String"


@pytest.fixture(autouse=True, scope="module")
def _registered() -> object:
    CalendarItem.register("salesforce_event_id", SalesforceEventId)
    yield None
    CalendarItem.deregister("salesforce_event_id")


def person(email: str) -> Attendee:
    return Attendee(mailbox=Mailbox(email_address=email), response_type="Unknown")


def meeting(account: Account, subject: str = "Quarterly review", **extra: object
            ) -> CalendarItem:
    return CalendarItem(account=account, folder=account.calendar, subject=subject,
                        start=EWSDateTime(2026, 12, 1, 10, tzinfo=BERLIN),
                        end=EWSDateTime(2026, 12, 1, 11, tzinfo=BERLIN), **extra)


def test_create_read_update_view_sync_delete(ews_for: Callable[..., Account],
                                              clean_sandbox: SandboxRuntime) -> None:
    account = ews_for(EVE)
    calendar = account.calendar
    assert calendar.name == "Calendar"
    list(calendar.sync_items())  # start from now
    start_state = calendar.item_sync_state
    salesforce_id = f"00U{uuid.uuid4().hex[:15]}"
    item = meeting(account, salesforce_event_id=salesforce_id,
                   required_attendees=[person("noah.smith@acme.example")])
    item.save(send_meeting_invitations="SendToAllAndSaveCopy")
    assert item.id and item.changekey

    read = calendar.get(id=item.id)
    assert read.subject == "Quarterly review"
    assert read.start == EWSDateTime(2026, 12, 1, 9, tzinfo=EWSTimeZone("UTC"))
    assert read.salesforce_event_id == salesforce_id
    assert read.is_meeting is True
    assert read.organizer.email_address == EVE
    assert [a.response_type for a in read.required_attendees] == ["Unknown"]

    read.subject = "Quarterly review (moved)"
    read.location = "Room 4"
    read.save(update_fields=["subject", "location"], send_meeting_invitations="SendToNone")
    assert read.changekey != item.changekey

    window = calendar.view(start=EWSDateTime(2026, 11, 30, tzinfo=BERLIN),
                           end=EWSDateTime(2026, 12, 2, tzinfo=BERLIN))
    # (the mailbox may hold other tests' items in that window too)
    assert [i.subject for i in window if i.id == item.id] == ["Quarterly review (moved)"]
    assert [i.id for i in calendar.filter(salesforce_event_id=salesforce_id)] == [item.id]
    assert list(calendar.filter(salesforce_event_id="00U000000000009AAA")) == []

    calendar.item_sync_state = start_state
    changes = list(calendar.sync_items())
    assert [(kind, i.subject) for kind, i in changes] == [
        ("create", "Quarterly review (moved)")]
    read.delete(send_meeting_cancellations="SendToAllAndSaveCopy")
    assert [kind for kind, _ in calendar.sync_items()] == ["delete"]
    with pytest.raises(ErrorItemNotFound):
        calendar.get(id=item.id)
    assert ews_mail(clean_sandbox) == [("invitation", "noah.smith@acme.example"),
                                       ("cancellation", "noah.smith@acme.example")]


def test_send_modes_reach_exactly_the_people_exchange_reaches(
        ews_for: Callable[..., Account], clean_sandbox: SandboxRuntime) -> None:
    account = ews_for(FINN)
    item = meeting(account, required_attendees=[person("a@x.example"), person("b@x.example")])
    item.save(send_meeting_invitations="SendToNone")
    assert ews_mail(clean_sandbox) == []  # SendToNone is silent

    item.required_attendees = [person("b@x.example"), person("c@x.example")]
    item.save(update_fields=["required_attendees"],
              send_meeting_invitations="SendToChangedAndSaveCopy")
    assert ews_mail(clean_sandbox) == [("invitation", "c@x.example"),
                                       ("cancellation", "a@x.example")]
    clean_sandbox.state.mail.clear()

    item.subject = "New time"
    item.save(update_fields=["subject"], send_meeting_invitations="SendToAllAndSaveCopy")
    assert sorted(ews_mail(clean_sandbox)) == [("update", "b@x.example"),
                                               ("update", "c@x.example")]
    clean_sandbox.state.mail.clear()

    item.required_attendees = [person("b@x.example")]
    item.save(update_fields=["required_attendees"], send_meeting_invitations="SendToNone")
    item.delete(send_meeting_cancellations="SendToNone")
    assert ews_mail(clean_sandbox) == []


def test_a_stale_change_key_is_an_irresolvable_conflict(
        ews_for: Callable[..., Account]) -> None:
    account = ews_for(EVE)
    item = meeting(account)
    item.save(send_meeting_invitations="SendToNone")
    first = account.calendar.get(id=item.id)
    second = account.calendar.get(id=item.id)
    first.subject = "One"
    first.save(update_fields=["subject"])
    second.subject = "Two"
    with pytest.raises(ErrorIrresolvableConflict):
        second.save(update_fields=["subject"], conflict_resolution="NeverOverwrite")
    with pytest.raises(ErrorIrresolvableConflict):
        second.save(update_fields=["subject"])  # AutoResolve: the same field changed
    second.location = "Elsewhere"
    second.save(update_fields=["location"])  # AutoResolve: another field, resolved
    assert account.calendar.get(id=item.id).subject == "One"
    item.delete(send_meeting_cancellations="SendToNone")


def test_server_busy_carries_its_back_off_hint(ews_for: Callable[..., Account],
                                               clean_sandbox: SandboxRuntime) -> None:
    account = ews_for(EVE)
    calendar = account.calendar
    clean_sandbox.state.faults.add(Fault("ews", 503, 1, retry_after=7))
    policy = account.protocol.retry_policy
    account.protocol.config.retry_policy = FailFast()
    try:
        with pytest.raises(ErrorServerBusy) as busy:
            list(calendar.all())
    finally:
        account.protocol.config.retry_policy = policy
    assert busy.value.back_off == 7


def test_a_wrong_password_is_unauthorized_not_busy(ews_for: Callable[..., Account]) -> None:
    """The 401 comes on a kept-alive connection, as from Exchange: exchangelib reads it as
    bad credentials (it reads a 401 with ``Connection: close`` as a busy server)."""
    account = ews_for(EVE, password="not-the-password")
    with pytest.raises(UnauthorizedError):
        list(account.calendar.all()[:1])


def test_basic_and_bearer_authentication(ews_for: Callable[..., Account],
                                         clean_sandbox: SandboxRuntime,
                                         upstream: requests.Session) -> None:
    assert ews_for(EVE, bearer=True).calendar.name == "Calendar"
    token = clean_sandbox.user(FINN).upstream_tokens["ews"]
    envelope = ('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
                '<GetFolder xmlns="http://schemas.microsoft.com/exchange/services/2006/'
                'messages"/></s:Body></s:Envelope>')
    # someone else's token, a wrong password, no credentials: 401 with the schemes offered
    for auth in ((EVE, token), (FINN, "wrong"), None):
        answer = upstream.post(clean_sandbox.services["ews"], data=envelope, auth=auth)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Basic")
        assert b"ErrorAccessDenied" in answer.content


def test_tls_without_the_sandbox_ca_is_refused(ews_for: Callable[..., Account]) -> None:
    adapter = BaseProtocol.HTTP_ADAPTER_CLS
    BaseProtocol.HTTP_ADAPTER_CLS = adapter.__mro__[1]  # requests' own: system CAs only
    try:
        from exchangelib.protocol import close_connections

        close_connections()
        with pytest.raises(TransportError):
            ews_for(FINN).calendar  # noqa: B018
    finally:
        BaseProtocol.HTTP_ADAPTER_CLS = adapter


def test_pull_subscription_events_responses_and_expired_sync_state(
        ews_for: Callable[..., Account], clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    account = ews_for(FINN)
    calendar = account.calendar
    subscription_id, watermark = calendar.subscribe_to_pull()
    item = meeting(account, required_attendees=[person("liam.jones@globex.example")])
    item.save(send_meeting_invitations="SendToAllAndSaveCopy")
    origin = clean_sandbox.origins["ews"]
    answered = upstream.post(f"{origin}/sandbox-ui/mailboxes/{FINN}/items/{item.id}/respond",
                             json={"email": "liam.jones@globex.example",
                                   "response": "Accept"})
    assert answered.status_code == 200
    notification = next(calendar.get_events(subscription_id, watermark))
    kinds = [type(e).__name__ for e in notification.events]
    assert kinds == ["CreatedEvent", "ModifiedEvent"]
    assert notification.events[0].item_id.id == item.id
    reread = calendar.get(id=item.id)
    assert [a.response_type for a in reread.required_attendees] == ["Accept"]
    calendar.unsubscribe(subscription_id)

    list(calendar.sync_items())
    expired = upstream.post(f"{origin}/sandbox-ui/mailboxes/{FINN}/expire-sync-states")
    assert expired.status_code == 200
    from exchangelib.errors import ErrorInvalidSyncStateData

    with pytest.raises(ErrorInvalidSyncStateData):
        list(calendar.sync_items())
    item.delete(send_meeting_cancellations="SendToNone")
