"""Tables. Plain SQLAlchemy 2 declarative models; no behaviour beyond what the columns say.

OAuth tokens are stored encrypted (``*_encrypted`` columns hold Fernet ciphertext written
by ``addin.accounts.crypto.TokenCipher``); nothing in this module ever sees a plaintext token.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Organization(Base):
    """A Salesforce org. Its settings override the configuration defaults.

    An organization starts either from its Microsoft 365 tenant (its first person signs in
    from Outlook: ``microsoft_tenant_id`` bound, ``salesforce_org_id`` still empty) or from
    Salesforce (someone connects it); the Salesforce org id, once known, is what makes
    colleagues one organization. Tokens from tenants other than ``microsoft_tenant_id`` are
    refused unless listed in ``allowed_tenant_ids``."""

    __tablename__ = "organizations"
    __table_args__ = (UniqueConstraint("microsoft_tenant_id",
                                       name="uq_organizations_microsoft_tenant_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    salesforce_org_id: Mapped[str | None] = mapped_column(String(18), unique=True)
    microsoft_tenant_id: Mapped[str | None] = mapped_column(String(36))
    allowed_tenant_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    name: Mapped[str] = mapped_column(String(255), default="")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    """A person using the sidebar: one Salesforce user, one mailbox.

    Identified by an immutable identity of their mailbox's identity provider: Microsoft's
    tenant id + object id, or Google's ``sub``; never by the email address, which is
    mutable, reusable and not unique across tenants (kept for display and matching)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("microsoft_tenant_id", "microsoft_object_id",
                                       name="uq_users_microsoft_identity"),
                      UniqueConstraint("google_sub", name="uq_users_google_sub"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    microsoft_tenant_id: Mapped[str | None] = mapped_column(String(36))
    microsoft_object_id: Mapped[str | None] = mapped_column(String(36))
    google_sub: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    salesforce_user_id: Mapped[str | None] = mapped_column(String(18), unique=True)
    calendar_provider: Mapped[str] = mapped_column(String(16))  # graph | google | ews
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Connection(Base):
    """An OAuth connection of a user to one upstream service; tokens encrypted at rest."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("user_id", "service"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    service: Mapped[str] = mapped_column(String(16))  # salesforce | graph | google | ews
    access_token_encrypted: Mapped[str] = mapped_column(Text)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    instance_url: Mapped[str | None] = mapped_column(String(255))  # Salesforce instance
    account: Mapped[str | None] = mapped_column(String(320))  # the upstream identity
    scopes: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class MirroredEvent(Base):
    """A Salesforce Event and the calendar item that mirrors it, with the sync base."""

    __tablename__ = "mirrored_events"
    __table_args__ = (UniqueConstraint("provider", "calendar_item_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    salesforce_event_id: Mapped[str] = mapped_column(String(18), unique=True)
    provider: Mapped[str] = mapped_column(String(16))
    calendar_item_id: Mapped[str | None] = mapped_column(String(1024))
    calendar_etag: Mapped[str | None] = mapped_column(String(255))
    salesforce_modstamp: Mapped[str | None] = mapped_column(String(40))
    # The attendee list as last agreed by both sides: [{"email", "name", "optional",
    # "response", "record": {...} | null}]
    base_attendees: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The event fields as last agreed (subject, start, end, ...), for field-level merges.
    base_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|mirrored|deleted
    detail: Mapped[str | None] = mapped_column(Text)
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdempotencyKey(Base):
    """The first answer to a request carrying an ``Idempotency-Key``, kept 24 hours."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="in_progress")  # in_progress|done
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxOperation(Base):
    """An upstream operation still to be done (retried with backoff by the worker)."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SyncCursor(Base):
    """Where the last sync pass stopped, per user and source."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("user_id", "source"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # graph_delta | google_sync_token | ews_sync_state | salesforce_events | salesforce_relations
    source: Mapped[str] = mapped_column(String(32))
    cursor: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ChangeEventCursor(Base):
    """How far an organization's Salesforce change-event stream was handled (the replay id
    of the last event, hex): a restart resumes after it."""

    __tablename__ = "change_event_cursors"
    __table_args__ = (UniqueConstraint("organization_id", "topic"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(255))
    replay_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class PushSubscription(Base):
    """A push channel on a user's calendar (Graph subscription, Google watch channel)."""

    __tablename__ = "push_subscriptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    subscription_id: Mapped[str] = mapped_column(String(255), unique=True)
    resource: Mapped[str] = mapped_column(String(1024))
    client_state_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the shared secret
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SyncRequest(Base):
    """A user's calendar or Salesforce data changed: the worker should sync them soon.

    One row per user at most (push notifications for the same user coalesce)."""

    __tablename__ = "sync_requests"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    reason: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MailboxRun(Base):
    """One job on one mailbox (a sync pass, a subscription renewal, an outbox operation):
    who ran it and when it started and ended. Jobs on one mailbox never overlap (the job
    engine's lock); these rows are the record of it, and tell when a mailbox was last
    polled. A run whose worker died has no ``finished_at``."""

    __tablename__ = "mailbox_runs"
    __table_args__ = (Index("ix_mailbox_runs_user_started", "user_id", "started_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    job: Mapped[str] = mapped_column(String(32))  # sync | subscribe | outbox
    reason: Mapped[str] = mapped_column(String(64))
    worker: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(16))  # done | failed | skipped


class SalesforceUsage(Base):
    """An organization's Salesforce API use on one UTC day: the requests the product made
    (counted by every process) and the last ``Sforce-Limit-Info: api-usage=N/M`` figure
    Salesforce reported (the org's whole use, other integrations included)."""

    __tablename__ = "salesforce_usage"
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    reported_used: Mapped[int | None] = mapped_column(Integer)
    reported_max: Mapped[int | None] = mapped_column(Integer)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SyncPassRecord(Base):
    """One sync pass of one user as it went (the sync status page reads these; the oldest
    are pruned). ``propagations``: [{"eventId", "side", "seconds"}], per reconciled event
    the time from the upstream change (the changed side's own modification time) to the
    end of the product's write of it on the other side."""

    __tablename__ = "sync_passes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    reconciled: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # {event id: reason} of the events that failed in this pass
    failures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)  # the pass itself failed
    propagations: Mapped[list[Any]] = mapped_column(JSON, default=list)
