"""The product's own bearer tokens: signed, carrying the user id, checked without the
database. Imports nothing from addin (the container builds one from the secret key)."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

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
