"""Connecting a seller account: authorization code with `state` and PKCE S256 (§2.1–2.2)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from mostrador.accounts.tokens import AccountUnavailable, save_new_grant
from mostrador.context import AppContext
from mostrador.meli.models import TokenResponse
from mostrador.security.pkce import new_state, new_verifier, s256_challenge
from mostrador.store import accounts as accounts_store
from mostrador.store import oauth_states
from mostrador.store.db import transaction
from mostrador.store.models import Account, utcnow

STATE_TTL = timedelta(minutes=10)  # the authorization code lives 10 minutes (§2.1)
LIVE = ("active", "refresh_failing")  # statuses of an account its workspace is using


class ConnectError(Exception):
    """The OAuth round trip could not be completed."""


class AccountConnectedElsewhere(ConnectError):
    """This Mercado Libre account is already connected to another Mostrador workspace."""


def begin(ctx: AppContext, workspace_id: int, user_id: int | None) -> str:
    """Store a fresh state + PKCE verifier and return the authorization URL to send the seller to."""
    state, verifier = new_state(), new_verifier()
    with transaction(ctx.sessions) as s:
        oauth_states.add_state(s, state, workspace_id, user_id, verifier)
    return ctx.meli.authorization_url(
        redirect_uri=ctx.settings.redirect_uri,
        state=state,
        code_challenge=s256_challenge(verifier),
        code_challenge_method="S256",
    )


def _take_state(ctx: AppContext, state: str, workspace_id: int, user_id: int) -> str:
    """Single use: the row is deleted whatever happens next. Mercado Libre does not check state; we do,
    and only the user who started the connection, in their workspace, may finish it."""
    with transaction(ctx.sessions) as s:
        row = oauth_states.take_state(s, state, workspace_id, user_id)
    if row is None:
        raise ConnectError("unknown or already used OAuth state; start the connection again")
    if row.created_at < utcnow() - STATE_TTL:
        raise ConnectError("the connection attempt expired; start again")
    return row.code_verifier


async def complete(ctx: AppContext, workspace_id: int, user_id: int, code: str, state: str) -> int:
    """Exchange the code, identify the seller with /users/me, store encrypted tokens."""
    verifier = await asyncio.to_thread(_take_state, ctx, state, workspace_id, user_id)
    tokens = await ctx.meli.exchange_code(
        code=code, redirect_uri=ctx.settings.redirect_uri, code_verifier=verifier
    )
    me = await ctx.meli.get_me(tokens.access_token)
    return await asyncio.to_thread(
        _save, ctx, workspace_id, int(me.id), me.nickname or str(me.id), me.site_id or "", tokens
    )


def _save(
    ctx: AppContext, workspace_id: int, me_id: int, nickname: str, site_id: str, t: TokenResponse
) -> int:
    """Store the grant, unless the seller's account belongs to another workspace (AccountConnectedElsewhere).

    Mercado Libre keeps one live refresh token per seller and application (§2.3): the exchange that just
    happened killed the one the other workspace holds. So if that workspace uses the account, the new
    pair goes to it (same seller, same application), and the other workspace keeps working; the
    workspace that tried to connect gets nothing.
    """
    with transaction(ctx.sessions) as s:
        held = accounts_store.account_by_meli_user(s, me_id)
        holder = held.workspace_id if held is not None and held.workspace_id != workspace_id else None
        holder_uses_it = held is not None and held.status in LIVE
    if holder is not None:
        if holder_uses_it:
            save_new_grant(ctx, holder, me_id, nickname, site_id, t)
        raise AccountConnectedElsewhere(AccountConnectedElsewhere.__doc__)
    try:
        return save_new_grant(ctx, workspace_id, me_id, nickname, site_id, t)
    except AccountUnavailable as exc:  # another workspace connected it between the check and the write
        raise AccountConnectedElsewhere(AccountConnectedElsewhere.__doc__) from exc


def purge_expired_states(ctx: AppContext, now: datetime | None = None) -> int:
    """Delete connection attempts nobody finished (housekeeping); returns how many."""
    with transaction(ctx.sessions) as s:
        return oauth_states.delete_states_before(s, (now or utcnow()) - STATE_TTL)


def disconnect(ctx: AppContext, workspace_id: int, account_id: int) -> None:
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        if acc is None or acc.workspace_id != workspace_id:
            raise ConnectError("unknown account")
        acc.status, acc.status_detail = "disconnected", "disconnected by an agent"
        acc.access_token_enc = acc.refresh_token_enc = ""
        acc.token_version += 1
