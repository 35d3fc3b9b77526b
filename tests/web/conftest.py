"""API fixtures: bearer headers for seeded sandbox users."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from addin.store.models import User

AVA = "ava.martin@acme-sales.example"  # graph, Lightning
BEN = "ben.carter@acme-sales.example"  # graph, Classic
CLEO = "cleo.nguyen@acme-sales.example"  # google, Lightning


@pytest.fixture
def bearer(services: Any) -> Callable[[str], dict[str, str]]:
    def headers(email: str) -> dict[str, str]:
        with services.db.session() as session:
            user_id = session.scalar(select(User.id).where(User.email == email))
        assert user_id is not None, email
        return {"Authorization": f"Bearer {services.api_tokens.mint(user_id)}"}

    return headers
