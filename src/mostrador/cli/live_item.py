"""`mostrador bot try --item ID`: read a live listing with a connected account's own token."""

from __future__ import annotations

import asyncio
from typing import Any

from mostrador.accounts.seller_api import SellerApi
from mostrador.accounts.tokens import AccountUnavailable, TokenRefreshFailed
from mostrador.bot import BotConfig
from mostrador.bot.cache import account_config
from mostrador.context import build_context
from mostrador.meli import errors as meli_errors
from mostrador.settings import Settings
from mostrador.store import accounts as accounts_store
from mostrador.store.db import transaction
from mostrador.store.models import Account


class LiveItemError(Exception):
    """The live item could not be read."""


def pick_account(accounts: list[Account], ref: str | None) -> Account:
    if ref is None:
        if len(accounts) != 1:
            names = ", ".join(a.nickname for a in accounts) or "none connected"
            raise LiveItemError(f"choose an account with --account ({names})")
        return accounts[0]
    for acc in accounts:
        if ref in (acc.nickname, str(acc.meli_user_id)):
            return acc
    raise LiveItemError(f"no connected account {ref!r}")


def fetch_live_item(
    item_id: str, account_ref: str | None, settings: Settings | None = None
) -> tuple[dict[str, Any], BotConfig]:
    """The item JSON and the account's bot configuration."""
    settings = (settings or Settings()).ensure_secrets()

    async def run() -> tuple[dict[str, Any], BotConfig]:
        ctx = build_context(settings)
        try:
            with transaction(ctx.sessions) as s:
                accounts = [a for a in accounts_store.active_accounts(s) if a.status == "active"]
                s.expunge_all()
            acc = pick_account(accounts, account_ref)
            api = await SellerApi.open(ctx, acc.id)
            item = await api.call(api.meli.get_item, item_id)
            return item.model_dump(mode="json", by_alias=True), account_config(acc.bot_config)
        except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed) as exc:
            raise LiveItemError(f"could not read {item_id}: {exc}") from exc
        finally:
            await ctx.aclose()

    return asyncio.run(run())
