"""Fixtures of the service tests: the attendee/cancellation scenario and an org admin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from sqlalchemy import select

from addin.sandbox import SandboxRuntime
from addin.store.models import User
from tests.services.scenario import Scenario

ADMIN_OF_ORG = "ava.martin@acme-sales.example"


@pytest.fixture
def scenario(client: Any, services: Any, clean_sandbox: SandboxRuntime,
             upstream: requests.Session, bearer: Callable[[str], dict[str, str]]
             ) -> Callable[[str, str], Scenario]:
    return lambda provider, experience: Scenario(client, services, clean_sandbox, upstream,
                                                 bearer, provider, experience)


@pytest.fixture
def admin_headers(services: Any) -> Callable[[], dict[str, str]]:
    """Bearer headers of the organization's Salesforce admin (the admin API)."""
    def headers() -> dict[str, str]:
        with services.db.session() as session:
            admin_id = session.scalar(select(User.id).where(User.email == ADMIN_OF_ORG))
        return {"Authorization": f"Bearer {services.api_tokens.mint(admin_id)}"}
    return headers
