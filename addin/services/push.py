"""Push notifications from the calendars: subscriptions, their secrets, and the durable
"please sync this user" requests that notifications turn into."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from addin.container import Container
from addin.providers.calendar.provider import CalendarError, CalendarProvider
from addin.providers.calendar.provider import PushSubscription as PushChannel
from addin.store.models import MirroredEvent, PushSubscription, SyncRequest

log = logging.getLogger(__name__)

# Graph allows just under 7 days for event subscriptions; Google channels live as asked.
SUBSCRIPTION_LIFETIME = timedelta(days=2)
RENEW_BEFORE = timedelta(hours=12)
WEBHOOK_PATHS = {"graph": "/webhooks/graph", "google": "/webhooks/google",
                 "ews": "/webhooks/ews"}


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def request_sync(container: Container, user_id: int, reason: str) -> None:
    """Ask the worker to sync this user; repeated requests coalesce into one."""
    with container.db.session() as session:
        if session.get(SyncRequest, user_id) is not None:
            return
        session.add(SyncRequest(user_id=user_id, reason=reason[:64]))
        try:
            session.flush()
        except IntegrityError:  # a concurrent request won the race: already queued
            session.rollback()


def is_own_write(container: Container, user_id: int, item_id: str, etag: str) -> bool:
    """A notification naming an item with the etag (Graph ``@odata.etag``, EWS ChangeKey)
    the product stored after its own last write: its echo, worth no pass at all."""
    if not item_id or not etag:
        return False
    with container.db.session() as session:
        stored = session.scalar(select(MirroredEvent.calendar_etag).where(
            MirroredEvent.user_id == user_id, MirroredEvent.calendar_item_id == item_id))
    return stored is not None and stored == etag


RESUBSCRIBE = "resubscribe"  # a sync request's reason that renews or recreates first


def lifecycle_event(container: Container, subscription_id: str, event: str) -> str:
    """Act on a Graph lifecycle notification for a subscription we hold: answers the sync
    request reason to queue. ``reauthorizationRequired``: renew it now (its expiry is set
    to now, so the next subscription check renews); ``subscriptionRemoved``: forget it,
    so a new one is made, and sync (changes meanwhile were never notified); ``missed``:
    sync (the delta link catches up)."""
    with container.db.session() as session:
        row = session.scalar(select(PushSubscription).where(
            PushSubscription.provider == "graph",
            PushSubscription.subscription_id == subscription_id))
        if row is None:
            return "graph:missed"
        if event == "reauthorizationRequired":
            row.expires_at = datetime.now(UTC)
            return f"{RESUBSCRIBE}:reauthorize"
        if event == "subscriptionRemoved":
            session.delete(row)
            return f"{RESUBSCRIBE}:removed"
    return "graph:missed"


def take_sync_requests(container: Container, limit: int = 50) -> list[tuple[int, str]]:
    """Claim pending requests (oldest first); each is handed out once."""
    with container.db.session() as session:
        rows = session.scalars(
            select(SyncRequest).order_by(SyncRequest.requested_at).limit(limit)
        ).all()
        taken = [(row.user_id, row.reason) for row in rows]
        if taken:
            session.execute(delete(SyncRequest).where(
                SyncRequest.user_id.in_([user_id for user_id, _ in taken])))
    return taken


def subscriber_of(container: Container, provider: str, subscription_id: str,
                  client_state: str | None) -> int | None:
    """The user a notification is for, if it names a live subscription with its secret."""
    with container.db.session() as session:
        row = session.scalar(select(PushSubscription).where(
            PushSubscription.provider == provider,
            PushSubscription.subscription_id == subscription_id))
        if row is None or client_state is None:
            return None
        if not hmac.compare_digest(row.client_state_hash, _hash(client_state)):
            return None
        return row.user_id


def ensure_subscription(container: Container, user_id: int, calendar: CalendarProvider,
                        now: datetime | None = None) -> str:
    """Subscribe the user's calendar, or renew a subscription that expires soon.

    Returns "created", "renewed" or "current"."""
    if not calendar.capabilities.push_notifications or calendar.name not in WEBHOOK_PATHS:
        return "unsupported"
    now = now or datetime.now(UTC)
    with container.db.session() as session:
        row = session.scalar(select(PushSubscription).where(
            PushSubscription.user_id == user_id, PushSubscription.provider == calendar.name))
        if row is not None and _aware(row.expires_at) - now > RENEW_BEFORE:
            return "current"
        existing = None
        if row is not None:
            existing = PushChannel(id=row.subscription_id, resource=row.resource,
                               notification_url=_notification_url(container, calendar.name),
                               client_state="", expires_at=_aware(row.expires_at),
                               extra=dict(row.extra or {}))
    expires_at = now + SUBSCRIPTION_LIFETIME
    if existing is not None and calendar.name == "graph":
        renewed = calendar.renew(existing, expires_at)
        with container.db.session() as session:
            stored = session.scalar(select(PushSubscription).where(
                PushSubscription.subscription_id == existing.id))
            if stored is not None:
                stored.expires_at = renewed.expires_at
        return "renewed"
    client_state = secrets.token_urlsafe(32)
    channel = calendar.subscribe(_notification_url(container, calendar.name), client_state,
                                 expires_at)
    with container.db.session() as session:
        if existing is not None:  # Google channels cannot be extended: replace the old one
            session.execute(delete(PushSubscription).where(
                PushSubscription.subscription_id == existing.id))
        session.add(PushSubscription(
            user_id=user_id, provider=calendar.name, subscription_id=channel.id,
            resource=channel.resource, client_state_hash=_hash(client_state),
            expires_at=channel.expires_at, extra=dict(channel.extra)))
    if existing is not None:
        try:
            calendar.unsubscribe(existing)
        except CalendarError as exc:  # the old channel expires on its own
            log.info("could not stop the replaced %s channel: %s", calendar.name, exc)
    return "renewed" if existing is not None else "created"


def _notification_url(container: Container, provider: str) -> str:
    return container.settings.public_url.rstrip("/") + WEBHOOK_PATHS[provider]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
