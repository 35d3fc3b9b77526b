"""A user's upstream connections: decrypted tokens on demand, refreshed when rejected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from addin.accounts.oauth import OAuthFlowError, refresh_access_token
from addin.container import Container
from addin.providers.calendar.provider import CalendarUnavailable
from addin.providers.salesforce.records import SalesforceUnavailable
from addin.store.models import Connection


class NotConnected(Exception):
    """The user has no connection to that service (they must connect it first)."""

    def __init__(self, service: str):
        super().__init__(f"not connected to {service}")
        self.service = service


# OAuth error codes that mean the refresh token will never work again
REFUSALS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})


class ConnectionExpired(NotConnected):
    """The service no longer honours the stored refresh token (revoked, expired, consent
    withdrawn): the person must connect again."""


@dataclass
class ConnectionInfo:
    access_token: str
    instance_url: str | None
    account: str | None
    expires_at: datetime | None = None

    def expired(self, margin: timedelta = timedelta(seconds=60)) -> bool:
        if self.expires_at is None:
            return False
        expires = self.expires_at if self.expires_at.tzinfo else self.expires_at.replace(
            tzinfo=UTC)
        return expires - margin <= datetime.now(UTC)


def load_connection(container: Container, user_id: int, service: str) -> ConnectionInfo:
    with container.db.session() as session:
        connection = session.scalar(
            select(Connection).where(Connection.user_id == user_id,
                                     Connection.service == service)
        )
        if connection is None:
            raise NotConnected(service)
        return ConnectionInfo(container.cipher.decrypt(connection.access_token_encrypted),
                              connection.instance_url, connection.account,
                              connection.expires_at)


class ConnectionTokens:
    """A TokenSource (addin.providers.calendar.provider) backed by the stored connection."""

    def __init__(self, container: Container, user_id: int, service: str):
        self._services = container
        self._user_id = user_id
        self._service = service
        self._token: str | None = None

    def access_token(self) -> str:
        """The stored token; refreshed first when it has expired (or is about to)."""
        if self._token is None:
            info = load_connection(self._services, self._user_id, self._service)
            self._token = self.refresh() if info.expired() else info.access_token
        return self._token

    def refresh(self) -> str:
        try:
            self._token = refresh_access_token(self._services, self._user_id, self._service)
        except OAuthFlowError as exc:
            if getattr(exc.__cause__, "error", None) in REFUSALS:
                raise ConnectionExpired(self._service) from exc
            # the token endpoint did not answer: as any other unreachable upstream
            if self._service == "salesforce":
                raise SalesforceUnavailable("Salesforce's token endpoint could not be "
                                            "reached") from exc
            raise CalendarUnavailable("the calendar's token endpoint could not be "
                                      "reached") from exc
        return self._token
