"""Push notification receivers: fast answers, secrets checked, requests coalesced."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from addin.accounts.clients import open_calendar
from addin.accounts.identity import load_user
from addin.services.push import _hash, ensure_subscription, take_sync_requests
from addin.store.models import MirroredEvent, Organization, PushSubscription, User
from tests.clock import NOW, z
from tests.providers.test_calendar_contract import draft


@pytest.fixture
def subscribed_user(services: Any) -> int:
    with services.db.session() as session:
        org = Organization(salesforce_org_id="00D0000000000ABEAA", name="o", settings={})
        session.add(org)
        session.flush()
        user = User(organization_id=org.id, email="push@org.example", calendar_provider="graph")
        session.add(user)
        session.flush()
        expires = datetime.now(UTC) + timedelta(days=1)
        session.add_all([
            PushSubscription(user_id=user.id, provider="graph", subscription_id="sub-1",
                             resource="me/events", client_state_hash=_hash("s3cret"),
                             expires_at=expires, extra={}),
            PushSubscription(user_id=user.id, provider="google", subscription_id="chan-1",
                             resource="primary", client_state_hash=_hash("tok3n"),
                             expires_at=expires, extra={"resourceId": "r1"}),
        ])
        return user.id


def test_graph_validation_handshake_echoes_the_token(client: Any) -> None:
    response = client.post("/webhooks/graph?validationToken=Validation%3A%20abc%2B1")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "Validation: abc+1"


def test_graph_notification_requests_one_sync(client: Any, services: Any,
                                              subscribed_user: int) -> None:
    note = {"subscriptionId": "sub-1", "clientState": "s3cret", "changeType": "updated",
            "resource": "Users/x/Events/y", "resourceData": {"id": "y"}}
    response = client.post("/webhooks/graph", json={"value": [note, note]})
    assert response.status_code == 202
    client.post("/webhooks/graph", json={"value": [note]})
    assert take_sync_requests(services) == [(subscribed_user, "graph:updated")]
    assert take_sync_requests(services) == []


def test_a_graph_notification_of_the_products_own_write_requests_nothing(
        client: Any, services: Any, subscribed_user: int) -> None:
    """The notification carries the item's etag: the one stored after the product's own
    write is its echo (no pass, so no upstream request at all); another etag is news."""
    with services.db.session() as session:
        session.add(MirroredEvent(user_id=subscribed_user, salesforce_event_id="00U000000000001AAA",
                                  provider="graph", calendar_item_id="item-1",
                                  calendar_etag='W/"ck1"', state="mirrored"))
    note = {"subscriptionId": "sub-1", "clientState": "s3cret", "changeType": "updated",
            "resource": "Users/x/Events/item-1",
            "resourceData": {"id": "item-1", "@odata.etag": 'W/"ck1"'}}
    assert client.post("/webhooks/graph", json={"value": [note]}).status_code == 202
    assert take_sync_requests(services) == []
    edited = {**note, "resourceData": {"id": "item-1", "@odata.etag": 'W/"ck2"'}}
    client.post("/webhooks/graph", json={"value": [edited]})
    assert take_sync_requests(services) == [(subscribed_user, "graph:updated")]


def test_graph_notification_with_wrong_secret_is_discarded(client: Any, services: Any,
                                                           subscribed_user: int) -> None:
    forged = {"subscriptionId": "sub-1", "clientState": "guess", "changeType": "updated"}
    unknown = {"subscriptionId": "nope", "clientState": "s3cret", "changeType": "updated"}
    assert client.post("/webhooks/graph", json={"value": [forged, unknown]}).status_code == 202
    assert take_sync_requests(services) == []
    refused = client.post("/webhooks/graph", data="not json")
    assert refused.status_code == 400 and refused.json["error"]["fields"] == {
        "value": "a list of notifications"}


def test_google_notifications(client: Any, services: Any, subscribed_user: int) -> None:
    headers = {"X-Goog-Channel-ID": "chan-1", "X-Goog-Channel-Token": "tok3n",
               "X-Goog-Resource-ID": "r1", "X-Goog-Message-Number": "1"}
    sync = client.post("/webhooks/google", headers={**headers, "X-Goog-Resource-State": "sync"})
    assert sync.status_code == 204
    assert take_sync_requests(services) == []
    exists = client.post("/webhooks/google",
                         headers={**headers, "X-Goog-Resource-State": "exists"})
    assert exists.status_code == 204
    assert take_sync_requests(services) == [(subscribed_user, "google:exists")]
    forged = client.post("/webhooks/google", headers={**headers, "X-Goog-Channel-Token": "x",
                                                      "X-Goog-Resource-State": "exists"})
    assert forged.status_code == 204
    assert take_sync_requests(services) == []


def test_graph_lifecycle_notifications_are_acted_on(client: Any, services: Any,
                                                   subscribed_user: int) -> None:
    def lifecycle(event: str) -> None:
        note = {"subscriptionId": "sub-1", "clientState": "s3cret", "lifecycleEvent": event,
                "subscriptionExpirationDateTime": z(NOW + timedelta(days=1))}
        assert client.post("/webhooks/graph", json={"value": [note]}).status_code == 202

    lifecycle("missed")
    assert take_sync_requests(services) == [(subscribed_user, "graph:missed")]
    lifecycle("reauthorizationRequired")
    assert take_sync_requests(services) == [(subscribed_user, "resubscribe:reauthorize")]
    with services.db.session() as session:
        row = session.query(PushSubscription).filter_by(subscription_id="sub-1").one()
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(
            tzinfo=UTC)
        assert expires <= datetime.now(UTC)  # due for renewal at once
    lifecycle("subscriptionRemoved")
    assert take_sync_requests(services) == [(subscribed_user, "resubscribe:removed")]
    with services.db.session() as session:
        assert session.query(PushSubscription).filter_by(subscription_id="sub-1").count() == 0


def test_ews_push_subscription_end_to_end(live_server: str, services: Any,
                                          clean_sandbox: Any) -> None:
    """The EWS emulator posts SendNotification to /webhooks/ews; a notification asks for
    one sync; once the product no longer holds the subscription, its answer ends it."""
    services.settings = replace(services.settings, public_url=live_server)
    with services.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == "eve.rossi@"
                                                       "acme-sales.example"))
    calendar = open_calendar(services, load_user(services, user_id))
    assert ensure_subscription(services, user_id, calendar) == "created"
    take_sync_requests(services)
    ews = clean_sandbox.apps["ews"].extensions["ews"]

    def wait_for(check: Any) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not check():
            time.sleep(0.05)
        return bool(check())

    calendar.create_item(draft(), idempotency_key=str(uuid.uuid4()))
    requested: list[tuple[int, str]] = []
    assert wait_for(lambda: requested.extend(take_sync_requests(services)) or requested)
    assert requested == [(user_id, "ews:CreatedEvent")]

    with services.db.session() as session:
        subscription_id = session.scalar(select(PushSubscription.subscription_id).where(
            PushSubscription.user_id == user_id))
        session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id))
    assert subscription_id in ews.subscriptions.subscriptions
    calendar.create_item(draft(), idempotency_key=str(uuid.uuid4()))
    assert wait_for(lambda: subscription_id not in ews.subscriptions.subscriptions)
    assert take_sync_requests(services) == []


def _ews_notification(subscription_id: str, item_id: str, change_key: str) -> bytes:
    soap = "http://schemas.xmlsoap.org/soap/envelope/"
    messages = "http://schemas.microsoft.com/exchange/services/2006/messages"
    types = "http://schemas.microsoft.com/exchange/services/2006/types"
    return (f'<s:Envelope xmlns:s="{soap}" xmlns:m="{messages}" xmlns:t="{types}"><s:Body>'
            "<m:SendNotification><m:ResponseMessages><m:SendNotificationResponseMessage "
            'ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
            f"<m:Notification><t:SubscriptionId>{subscription_id}</t:SubscriptionId>"
            "<t:ModifiedEvent><t:Watermark>AQ==</t:Watermark>"
            f"<t:TimeStamp>{z(NOW)}</t:TimeStamp>"
            f'<t:ItemId Id="{item_id}" ChangeKey="{change_key}"/></t:ModifiedEvent>'
            "</m:Notification></m:SendNotificationResponseMessage></m:ResponseMessages>"
            "</m:SendNotification></s:Body></s:Envelope>").encode()


def test_an_ews_notification_of_the_products_own_write_requests_nothing(
        client: Any, services: Any, subscribed_user: int) -> None:
    """EWS names the changed item with its ChangeKey: the one the product stored after
    its own write is its echo."""
    with services.db.session() as session:
        session.add(PushSubscription(
            user_id=subscribed_user, provider="ews", subscription_id="ews-1",
            resource="calendar", client_state_hash=_hash("ews-secret"),
            expires_at=datetime.now(UTC) + timedelta(days=1), extra={}))
        session.add(MirroredEvent(user_id=subscribed_user, provider="ews",
                                  salesforce_event_id="00U000000000002AAA",
                                  calendar_item_id="AAMk-1", calendar_etag="CK1",
                                  state="mirrored"))
    own = client.post("/webhooks/ews?clientState=ews-secret", content_type="text/xml",
                      data=_ews_notification("ews-1", "AAMk-1", "CK1"))
    assert own.status_code == 200 and take_sync_requests(services) == []
    client.post("/webhooks/ews?clientState=ews-secret", content_type="text/xml",
                data=_ews_notification("ews-1", "AAMk-1", "CK2"))
    assert take_sync_requests(services) == [(subscribed_user, "ews:ModifiedEvent")]


def test_ews_notifications_that_are_not_soap_are_refused(client: Any) -> None:
    assert client.post("/webhooks/ews", data=b"{}",
                       content_type="text/xml").status_code == 400
