"""What the EWS provider adds to the shared contract: how EWS failures become calendar
errors, the server's back-off honoured or handed on, one kept exchangelib Account per
mailbox, and reading push notifications."""

from __future__ import annotations

import time
import uuid

import pytest
from exchangelib import errors as ews_errors

from addin.providers.calendar.ews import EwsCalendar, _translate
from addin.providers.calendar.ews_push import (
    NotANotification,
    notification_answer,
    parse_notification,
)
from addin.providers.calendar.provider import (
    CalendarError,
    CalendarRateLimited,
    CalendarUnavailable,
    EtagMismatch,
    ItemNotFound,
)
from addin.sandbox import SandboxRuntime
from addin.sandbox.state import Fault
from tests.providers.test_calendar_contract import draft

EVE = "eve.rossi@acme-sales.example"


def calendar(sandbox: SandboxRuntime, password: str | None = None) -> EwsCalendar:
    return EwsCalendar(sandbox.services["ews"], EVE, EVE,
                       password or sandbox.user(EVE).upstream_tokens["ews"],
                       ca_bundle=sandbox.ca_path, max_back_off_seconds=5)


@pytest.mark.parametrize(("error", "kind"), [
    (ews_errors.ErrorItemNotFound("gone"), ItemNotFound),
    (ews_errors.ErrorIrresolvableConflict("stale"), EtagMismatch),
    (ews_errors.ErrorServerBusy("busy", back_off=3), CalendarRateLimited),
    (ews_errors.ErrorInternalServerTransientError("later"), CalendarUnavailable),
    (ews_errors.TransportError("no route"), CalendarUnavailable),
    (ews_errors.ErrorServerBusy("Caused by closed connection"), CalendarUnavailable),
    (ews_errors.ErrorInternalServerError("boom"), CalendarUnavailable),
    (ews_errors.ErrorInvalidSyncStateData("old"), CalendarError),
])
def test_ews_errors_become_calendar_errors(error: Exception, kind: type) -> None:
    translated = _translate(error)
    assert type(translated) is kind
    if kind is CalendarRateLimited:
        assert translated.retry_after == 3


def test_a_long_back_off_is_handed_to_the_caller_at_once(clean_sandbox: SandboxRuntime
                                                         ) -> None:
    ews = calendar(clean_sandbox)
    item = ews.create_item(draft(), idempotency_key=str(uuid.uuid4()))
    clean_sandbox.state.faults.add(Fault("ews", 503, 1, retry_after=60))
    started = time.monotonic()
    with pytest.raises(CalendarRateLimited) as busy:
        ews.get_item(item.item_id)
    assert busy.value.retry_after == 60 and time.monotonic() - started < 5
    assert ews.get_item(item.item_id).item_id == item.item_id


def test_a_server_error_is_not_retried_here(clean_sandbox: SandboxRuntime) -> None:
    ews = calendar(clean_sandbox)
    item = ews.create_item(draft(), idempotency_key=str(uuid.uuid4()))
    clean_sandbox.state.faults.add(Fault("ews", 500, 1))
    started = time.monotonic()
    with pytest.raises(CalendarUnavailable):
        ews.get_item(item.item_id)
    assert time.monotonic() - started < 2
    stats = clean_sandbox.state.stats.snapshot()["ews"]["byOperation"]
    assert stats["fault 500"] == 1


def test_an_answer_lost_on_the_way_back_does_not_create_twice(
        clean_sandbox: SandboxRuntime) -> None:
    ews = calendar(clean_sandbox)
    ews.calendar  # noqa: B018 (the folder is looked up before the fault)
    wanted, key = draft(), str(uuid.uuid4())
    # the first CreateItem is carried out, then its answer is replaced by a busy server
    clean_sandbox.state.faults.add(Fault("ews", 503, 1, retry_after=1, applied=True))
    clean_sandbox.state.faults.add(Fault("ews", 503, 1, retry_after=1, applied=True))
    item = ews.create_item(wanted, idempotency_key=key)
    assert ews.find_by_salesforce_event(str(wanted.salesforce_event_id)).item_id == \
        item.item_id
    ids = [i.item_id for i in ews.list_changes(None).changed
           if i.salesforce_event_id == wanted.salesforce_event_id]
    assert ids == [item.item_id]


def test_one_account_per_mailbox_and_credentials(clean_sandbox: SandboxRuntime) -> None:
    first, second = calendar(clean_sandbox), calendar(clean_sandbox)
    assert first.account is second.account
    other = calendar(clean_sandbox, clean_sandbox.state.tokens.issue("ews", EVE))
    assert other.account is not first.account


def test_push_notifications_are_read_and_answered() -> None:
    body = (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            b'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
            b'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Body>'
            b'<m:SendNotification><m:ResponseMessages><m:SendNotificationResponseMessage '
            b'ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
            b'<m:Notification><t:SubscriptionId>sub</t:SubscriptionId>'
            b'<t:PreviousWatermark>w</t:PreviousWatermark><t:MoreEvents>false</t:MoreEvents>'
            b'<t:StatusEvent><t:Watermark>w</t:Watermark></t:StatusEvent></m:Notification>'
            b'</m:SendNotificationResponseMessage></m:ResponseMessages></m:SendNotification>'
            b'</s:Body></s:Envelope>')
    note = parse_notification(body)
    assert note.subscription_id == "sub" and note.is_status_only
    with pytest.raises(NotANotification):
        parse_notification(b"<nope/>")
    with pytest.raises(NotANotification):
        parse_notification(b"{not xml")
    assert b">Unsubscribe<" in notification_answer(keep=False)
    assert b">OK<" in notification_answer(keep=True)
