"""Re-encrypt every stored token under the current (first) key, after a new key was prepended."""

from __future__ import annotations

from sqlalchemy import select

from mostrador.context import AppContext
from mostrador.store.db import transaction
from mostrador.store.models import Account


def rotate_token_keys(ctx: AppContext) -> int:
    """Returns how many accounts were re-encrypted; old keys can be dropped from settings afterwards."""
    done = 0
    with transaction(ctx.sessions) as s:
        for acc in s.scalars(select(Account).with_for_update()):
            acc.access_token_enc = ctx.cipher.rotate(acc.access_token_enc)
            acc.refresh_token_enc = ctx.cipher.rotate(acc.refresh_token_enc)
            done += 1
    return done
