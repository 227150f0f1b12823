"""PKCE (RFC 7636) verifier and S256 challenge, and the OAuth `state` value."""

from __future__ import annotations

import base64
import hashlib
import secrets


def new_verifier() -> str:
    return secrets.token_urlsafe(64)[:96]


def s256_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_state() -> str:
    return secrets.token_urlsafe(24)
