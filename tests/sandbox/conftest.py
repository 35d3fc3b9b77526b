"""Fixtures for driving the emulators directly with third-party clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
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
