import pytest
from cryptography.fernet import Fernet

from addin.accounts.crypto import TokenCipher, TokenDecryptionError


def test_round_trip_and_ciphertext_is_not_plaintext() -> None:
    cipher = TokenCipher.from_settings("", "a secret")
    stored = cipher.encrypt("00Dxx!AQ4AQ-secret-access-token")
    assert "secret-access-token" not in stored
    assert cipher.decrypt(stored) == "00Dxx!AQ4AQ-secret-access-token"


def test_key_rotation_keeps_old_tokens_readable() -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    old = TokenCipher([old_key])
    stored = old.encrypt("token")
    rotated_cipher = TokenCipher.from_settings(f"{new_key.decode()},{old_key.decode()}", "")
    assert rotated_cipher.decrypt(stored) == "token"
    rotated = rotated_cipher.rotate(stored)
    assert TokenCipher([new_key]).decrypt(rotated) == "token"


def test_wrong_key_is_a_clear_error() -> None:
    stored = TokenCipher.from_settings("", "one secret").encrypt("token")
    with pytest.raises(TokenDecryptionError):
        TokenCipher.from_settings("", "another secret").decrypt(stored)
