"""Encryption at rest for OAuth tokens (Fernet, with key rotation through MultiFernet)."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class TokenDecryptionError(Exception):
    """A stored token could not be decrypted with any configured key."""


def derive_key(secret_key: str) -> bytes:
    """A Fernet key derived from the application secret (used when no token key is set)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"addin-token-encryption", info=b"v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


class TokenCipher:
    """Encrypts and decrypts secrets. The first key encrypts; every key can decrypt."""

    def __init__(self, keys: list[bytes]):
        if not keys:
            raise ValueError("at least one key is required")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_settings(cls, token_keys: str, secret_key: str) -> TokenCipher:
        keys = [k.strip().encode() for k in token_keys.split(",") if k.strip()]
        return cls(keys or [derive_key(secret_key)])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise TokenDecryptionError("stored token cannot be decrypted") from exc

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt with the newest key."""
        return self._fernet.rotate(ciphertext.encode()).decode()
