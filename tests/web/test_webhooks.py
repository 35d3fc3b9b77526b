"""Push notification receivers: fast answers, secrets checked, requests coalesced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from addin.services.push import _hash, take_sync_requests
from addin.store.models import Organization, PushSubscription, User


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


def test_graph_notification_with_wrong_secret_is_discarded(client: Any, services: Any,
                                                           subscribed_user: int) -> None:
    forged = {"subscriptionId": "sub-1", "clientState": "guess", "changeType": "updated"}
    unknown = {"subscriptionId": "nope", "clientState": "s3cret", "changeType": "updated"}
    assert client.post("/webhooks/graph", json={"value": [forged, unknown]}).status_code == 202
    assert take_sync_requests(services) == []
    assert client.post("/webhooks/graph", data="not json").status_code == 400


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
                "subscriptionExpirationDateTime": "2026-12-01T00:00:00Z"}
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
