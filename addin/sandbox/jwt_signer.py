"""A local RSA signing key with its JWKS: how the sandbox's identity providers (Google,
Microsoft Entra ID) sign tokens that the product verifies with its real code."""

from __future__ import annotations

import uuid
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey


class Signer:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": uuid.uuid4().hex,
                                                         "use": "sig", "alg": "RS256"})

    # durable.py: the key survives a restart of a sandbox with a state folder, so tokens
    # signed before it still verify
    def durable_state(self) -> dict[str, Any]:
        return {"jwk": self.key.as_dict(private=True)}

    def restore_durable(self, saved: dict[str, Any]) -> None:
        self.key = RSAKey.import_key(saved["jwk"])

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "kid": self.key.kid, "typ": "JWT"}, claims,
                          self.key)
