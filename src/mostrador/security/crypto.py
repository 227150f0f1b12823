"""OAuth tokens at rest: Fernet (AES-128-CBC + HMAC) with key rotation through MultiFernet.

The first key encrypts; every key decrypts, so a new key can be prepended and old rows re-encrypted
with `rotate()` at leisure (`mostrador accounts rotate-keys`).
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class TokenDecryptError(Exception):
    """A stored token could not be decrypted with any configured key."""


class TokenCipher:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one token encryption key is required")
        self._fernet = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode() if plaintext else ""

    def decrypt(self, ciphertext: str) -> str:
        if not ciphertext:
            return ""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise TokenDecryptError(TokenDecryptError.__doc__) from exc

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the current (first) key."""
        return self._fernet.rotate(ciphertext.encode()).decode() if ciphertext else ""
