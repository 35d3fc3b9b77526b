"""Builds a user's upstream clients from their stored connections (one place)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from addin.accounts.connections import ConnectionTokens, NotConnected, load_connection
from addin.providers.calendar.ews import EwsCalendar
from addin.providers.calendar.google import GoogleCalendar
from addin.providers.calendar.graph import GraphCalendar
from addin.providers.calendar.provider import CalendarProvider
from addin.providers.salesforce.budget import record_answer
from addin.providers.salesforce.client import SalesforceClient

if TYPE_CHECKING:
    from addin.accounts.identity import CurrentUser
    from addin.container import Container


def open_salesforce(container: Container, user: CurrentUser) -> SalesforceClient:
    info = load_connection(container, user.id, "salesforce")
    if not info.instance_url:
        raise NotConnected("salesforce")
    tokens = ConnectionTokens(container, user.id, "salesforce")
    database = container.db
    return SalesforceClient(instance_url=info.instance_url, access_token=tokens.access_token(),
                            session=container.session_for("salesforce"),
                            api_version=container.settings.salesforce_api_version,
                            on_refresh=tokens.refresh,
                            # its answers count against the organization's API budget
                            organization_id=user.organization_id,
                            on_answer=lambda organization_id, response: record_answer(
                                database, response, organization_id))


def open_calendar(container: Container, user: CurrentUser, time_zone: str = "UTC"
                  ) -> CalendarProvider:
    provider = user.calendar_provider
    if provider == "ews":
        return open_exchange(container, user, time_zone)
    tokens = ConnectionTokens(container, user.id, provider)
    urls = container.settings.upstream_urls
    session = container.session_for(provider)
    if provider == "graph":
        return GraphCalendar(session, urls["graph"], tokens, time_zone=time_zone)
    if provider == "google":
        return GoogleCalendar(session, urls["google_calendar"], tokens, time_zone=time_zone)
    raise NotConnected(provider)


def exchange_endpoint(container: Container, stored: str | None = None) -> str:
    """The EWS URL: the one the user connected with, else ADDIN_EWS_URL (or the
    sandbox's emulator)."""
    settings = container.settings
    return stored or settings.upstream_urls.get("ews") or settings.ews_url


def open_exchange(container: Container, user: CurrentUser, time_zone: str = "UTC"
                  ) -> EwsCalendar:
    """An Exchange Server mailbox: the stored connection holds the user name (``account``)
    and the password (encrypted like the OAuth tokens), and maybe the server's EWS URL."""
    info = load_connection(container, user.id, "ews")
    endpoint = exchange_endpoint(container, info.instance_url)
    if not endpoint:
        raise NotConnected("ews")
    return EwsCalendar(endpoint, user.email, info.account or user.email, info.access_token,
                       ca_bundle=container.settings.ca_bundle or None, time_zone=time_zone,
                       retries=container.settings.http_retries,
                       max_back_off_seconds=container.settings.http_max_retry_after_seconds)
