"""The product's own bearer tokens for /api/v1 (signed, carrying the user id)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from addin.store.models import User

if TYPE_CHECKING:
    from addin.container import Container

API_TOKEN_MAX_AGE_SECONDS = 30 * 24 * 3600


class ApiTokens:
    def __init__(self, secret_key: str, max_age_seconds: int = API_TOKEN_MAX_AGE_SECONDS):
        self._serializer = URLSafeTimedSerializer(secret_key, salt="addin-api-token")
        self.max_age_seconds = max_age_seconds

    def mint(self, user_id: int) -> str:
        return self._serializer.dumps({"uid": user_id})

    def verify(self, token: str) -> int | None:
        """The user id the token was minted for, or None if it is forged or expired."""
        try:
            data = self._serializer.loads(token, max_age=self.max_age_seconds)
        except (BadSignature, SignatureExpired):
            return None
        uid = data.get("uid") if isinstance(data, dict) else None
        return uid if isinstance(uid, int) else None


@dataclass(frozen=True)
class CurrentUser:
    """A product user, as the services see the caller."""

    id: int
    email: str
    organization_id: int
    salesforce_user_id: str | None
    calendar_provider: str
    is_admin: bool


def load_user(services: Container, user_id: int) -> CurrentUser | None:
    with services.db.session() as session:
        user = session.get(User, user_id)
        if user is None:
            return None
        return CurrentUser(user.id, user.email, user.organization_id, user.salesforce_user_id,
                           user.calendar_provider, user.is_admin)
