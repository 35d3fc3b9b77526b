"""Connecting an Exchange Server mailbox: the credentials are checked against the server,
then stored encrypted like OAuth tokens (EWS has no OAuth on premises)."""

from __future__ import annotations

from sqlalchemy import select

from addin.accounts.clients import exchange_endpoint
from addin.container import Container
from addin.providers.calendar.ews_connect import (
    ExchangeRejected,
    ExchangeUnreachable,
    check_credentials,
)
from addin.store.models import Connection

SERVICE = "ews"


class CredentialsRejected(Exception):
    """The server refused the user name or password."""


class ServerUnreachable(Exception):
    """The server could not be reached (or is not an EWS endpoint)."""


def endpoint(container: Container, server_url: str) -> str:
    """The EWS URL to use: the one given, else ADDIN_EWS_URL (or the sandbox's)."""
    return server_url or exchange_endpoint(container)


def connect(container: Container, user_id: int, email: str, url: str, username: str,
            password: str, server_url: str) -> None:
    """Check the credentials against ``url``, then store them (``server_url`` as given)."""
    try:
        check_credentials(container.session_for(SERVICE), url, email, username, password,
                          timeout=container.settings.http_timeout_seconds)
    except ExchangeRejected as exc:
        raise CredentialsRejected(str(exc)) from None
    except ExchangeUnreachable as exc:
        raise ServerUnreachable(str(exc)) from None
    with container.db.session() as session:
        row = session.scalar(select(Connection).where(Connection.user_id == user_id,
                                                      Connection.service == SERVICE))
        if row is None:
            row = Connection(user_id=user_id, service=SERVICE)
            session.add(row)
        row.access_token_encrypted = container.cipher.encrypt(password)
        row.refresh_token_encrypted = None
        row.expires_at = None
        row.account = username
        row.instance_url = server_url or None


def disconnect(container: Container, user_id: int) -> bool:
    """Forget the stored Exchange credentials; False if there were none."""
    with container.db.session() as session:
        row = session.scalar(select(Connection).where(Connection.user_id == user_id,
                                                      Connection.service == SERVICE))
        if row is None:
            return False
        session.delete(row)
        return True
