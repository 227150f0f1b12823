"""Re-encrypt every stored token under the current (first) key, after a new key was prepended."""

from __future__ import annotations

from mostrador.context import AppContext
from mostrador.store import accounts as accounts_store
from mostrador.store.db import transaction


def rotate_token_keys(ctx: AppContext) -> int:
    """Returns how many accounts were re-encrypted; old keys can be dropped from settings afterwards."""
    done = 0
    with transaction(ctx.sessions) as s:
        for acc in accounts_store.all_accounts_for_update(s):
            acc.access_token_enc = ctx.cipher.rotate(acc.access_token_enc)
            acc.refresh_token_enc = ctx.cipher.rotate(acc.refresh_token_enc)
            done += 1
    return done
