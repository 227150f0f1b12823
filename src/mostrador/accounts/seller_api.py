"""Mercado Libre as one connected seller sees it: the handle channels and reconciliation call.

`SellerApi` carries the account (who the seller is) and its access token for the length of one step:
the token is loaded once, refreshed ahead of expiry, and refreshed once more when a call answers 401
(a password change or a revoked grant shows that way; a 401 is refused before anything happens, so
repeating the call is safe). Rate budgets and circuit breakers live in the shared `MeliClient`.

    api = await SellerApi.open(ctx, account_id)
    question = await api.call(api.meli.get_question, question_id)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from mostrador.accounts import tokens
from mostrador.accounts.tokens import AccessToken, AccountUnavailable
from mostrador.context import AppContext
from mostrador.meli import MeliClient
from mostrador.meli import errors as meli_errors
from mostrador.store.db import transaction
from mostrador.store.models import Account

T = TypeVar("T")


@dataclass(frozen=True)
class SellerAccount:
    """The account as plain values (usable outside any database session)."""

    id: int
    workspace_id: int
    seller_id: int  # the seller's Mercado Libre user id
    nickname: str
    site_id: str
    status: str
    bot_config: dict[str, Any] | None


def load_account(ctx: AppContext, account_id: int) -> SellerAccount:
    """The one way to read an account for work on it (raises `AccountUnavailable` if unknown)."""
    return _load(ctx, account_id)[0]


def _load(ctx: AppContext, account_id: int) -> tuple[SellerAccount, AccessToken | None]:
    """The account, and its token if usable as stored: one read of the row for both."""
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        if acc is None:
            raise AccountUnavailable(f"unknown account {account_id}")
        account = SellerAccount(
            acc.id,
            acc.workspace_id,
            acc.meli_user_id,
            acc.nickname,
            acc.site_id,
            acc.status,
            dict(acc.bot_config) if acc.bot_config else None,
        )
        return account, tokens.token_if_usable(ctx, acc)


class SellerApi:
    """One seller's view of the API for one unit of work (a workflow step, a page, a sweep)."""

    def __init__(self, ctx: AppContext, account: SellerAccount) -> None:
        self.ctx = ctx
        self.account = account
        self._token: AccessToken | None = None

    @classmethod
    async def open(cls, ctx: AppContext, account_id: int) -> SellerApi:
        account, token = await asyncio.to_thread(_load, ctx, account_id)
        api = cls(ctx, account)
        api._token = token  # None (disconnected, expiring): the first call reads it again and says why
        return api

    @property
    def meli(self) -> MeliClient:
        return self.ctx.meli

    @property
    def account_id(self) -> int:
        return self.account.id

    @property
    def seller_id(self) -> int:
        return self.account.seller_id

    async def call(self, endpoint: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """`endpoint(*args, token=…, **kwargs)` with this seller's token; once more after a refresh on 401."""
        token = await self._usable_token()
        try:
            return await endpoint(*args, token=token.token, **kwargs)
        except meli_errors.Unauthorized:
            self._token = await tokens.refresh(self.ctx, self.account.id, seen_version=token.version)
            return await endpoint(*args, token=self._token.token, **kwargs)

    async def _usable_token(self) -> AccessToken:
        if self._token is None or not self._token.usable(datetime.now(UTC)):
            self._token = await tokens.current_token(self.ctx, self.account.id)
        return self._token
