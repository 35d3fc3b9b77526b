"""Fixtures for driving the emulators directly with third-party clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httplib2
import pytest
import requests
from exchangelib import (
    BASIC,
    DELEGATE,
    OAUTH2,
    Account,
    Build,
    Configuration,
    Credentials,
    OAuth2AuthorizationCodeCredentials,
    Version,
)
from exchangelib.protocol import BaseProtocol, close_connections
from google.oauth2.credentials import Credentials as GoogleCredentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce

from addin.sandbox import SandboxRuntime

AVA = "ava.martin@acme-sales.example"  # graph, Lightning, admin
BEN = "ben.carter@acme-sales.example"  # graph, Classic
GRACE = "grace.hopper@acme-sales.example"  # a User who is also a Contact


@pytest.fixture
def salesforce_for(clean_sandbox: SandboxRuntime) -> Callable[[str], Salesforce]:
    """simple-salesforce, unmodified, signed in to the sandbox org as a seeded user."""

    def connect(email: str = AVA) -> Salesforce:
        session = requests.Session()
        session.verify = clean_sandbox.ca_path
        session.trust_env = False
        token = clean_sandbox.state.tokens.issue("salesforce", email)
        return Salesforce(instance_url=clean_sandbox.origins["salesforce"], session_id=token,
                          version="62.0", session=session)

    return connect


@pytest.fixture
def sf(salesforce_for: Callable[[str], Salesforce]) -> Salesforce:
    return salesforce_for(AVA)


def salesforce_requests(sandbox: SandboxRuntime) -> int:
    return int(sandbox.state.stats.snapshot().get("salesforce", {}).get("requests", 0))


EVE = "eve.rossi@acme-sales.example"  # ews, Lightning
FINN = "finn.berg@acme-sales.example"  # ews, Classic


@pytest.fixture
def ews_for(clean_sandbox: SandboxRuntime) -> Iterator[Callable[..., Account]]:
    """exchangelib, unmodified, signed in to an emulated Exchange mailbox over TLS that
    trusts the sandbox CA (through exchangelib's own adapter hook), no autodiscover."""
    ca_path = clean_sandbox.ca_path

    class SandboxCA(HTTPAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:
            kwargs["verify"] = ca_path
            return super().send(request, **kwargs)

    previous = BaseProtocol.HTTP_ADAPTER_CLS
    BaseProtocol.HTTP_ADAPTER_CLS = SandboxCA
    close_connections()

    def connect(email: str = EVE, *, password: str | None = None, bearer: bool = False
                ) -> Account:
        user = clean_sandbox.user(email)
        secret = password or user.upstream_tokens["ews"]
        config = Configuration(
            service_endpoint=clean_sandbox.services["ews"],
            credentials=OAuth2AuthorizationCodeCredentials(access_token={
                "access_token": secret, "token_type": "Bearer"}) if bearer
            else Credentials(email, secret),
            auth_type=OAUTH2 if bearer else BASIC,
            version=Version(build=Build(15, 2, 1544, 4)))
        return Account(email, config=config, autodiscover=False, access_type=DELEGATE)

    yield connect
    close_connections()
    BaseProtocol.HTTP_ADAPTER_CLS = previous


def ews_mail(sandbox: SandboxRuntime) -> list[tuple[str, str]]:
    return [(m["kind"], m["to"]) for m in sandbox.state.mail.messages()
            if m["sender"] == "ews"]


CLEO = "cleo.nguyen@acme-sales.example"  # google


@pytest.fixture
def calendar_api(clean_sandbox: SandboxRuntime) -> Any:
    """google-api-python-client, built from the discovery document it ships, signed in to
    the Google Calendar emulator as Cleo."""
    token = clean_sandbox.state.tokens.issue("google", CLEO)
    http = AuthorizedHttp(GoogleCredentials(token=token), http=httplib2.Http(
        ca_certs=clean_sandbox.ca_path))
    return build("calendar", "v3", http=http, static_discovery=True,
                 client_options={"api_endpoint": clean_sandbox.services["google"] + "/"})
