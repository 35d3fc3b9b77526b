"""Fixtures for the providers: adapters pointed at the sandbox over real HTTPS."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from addin.http import HttpSettings, build_session
from addin.providers.salesforce import SalesforceClient
from addin.sandbox import SandboxRuntime

# --- salesforce ---
AVA = "ava.martin@acme-sales.example"
BEN = "ben.carter@acme-sales.example"


@pytest.fixture
def salesforce_client(clean_sandbox: SandboxRuntime) -> Callable[..., SalesforceClient]:
    def build(email: str = AVA, token: str | None = None,
              on_refresh: Callable[[], str] | None = None) -> SalesforceClient:
        session = build_session("salesforce", HttpSettings(ca_bundle=clean_sandbox.ca_path,
                                                           backoff_factor=0))
        return SalesforceClient(
            instance_url=clean_sandbox.origins["salesforce"],
            access_token=token or clean_sandbox.state.tokens.issue("salesforce", email),
            session=session, api_version="62.0", on_refresh=on_refresh)

    return build
