"""Tokens are encrypted at rest and survive a key rotation."""

from __future__ import annotations

from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import text

from mostrador.accounts.keys import rotate_token_keys
from mostrador.context import AppContext, build_context
from mostrador.security.crypto import TokenCipher, TokenDecryptError
from mostrador.store.db import transaction
from mostrador.store.models import Account


def test_tokens_are_not_stored_in_clear(ctx: AppContext, account_id: int) -> None:
    with ctx.engine.connect() as conn:
        row = conn.execute(text("select access_token_enc, refresh_token_enc from accounts")).one()
    assert "APP_USR" not in row[0] and "TG-" not in row[1]
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        assert acc is not None and ctx.cipher.decrypt(acc.access_token_enc) == "APP_USR-1-2-3-4"


def test_rotation_re_encrypts_under_the_new_key_and_old_key_can_go(ctx: AppContext, account_id: int) -> None:
    old_key = ctx.settings.token_keys[0]
    new_key = SecretStr(Fernet.generate_key().decode())
    ctx.settings.token_keys = [new_key, old_key]
    rotated_ctx = build_context(ctx.settings)
    assert rotate_token_keys(rotated_ctx) == 1
    only_new = TokenCipher([new_key.get_secret_value()])
    only_old = TokenCipher([old_key.get_secret_value()])
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        assert acc is not None
        assert only_new.decrypt(acc.refresh_token_enc) == "TG-abc-4"
        try:
            only_old.decrypt(acc.refresh_token_enc)
        except TokenDecryptError:
            pass
        else:
            raise AssertionError("after rotation the old key must no longer be needed")
    rotated_ctx.engine.dispose()
