"""Connecting a seller account: authorization code with `state` and PKCE S256 (§2.1–2.2)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import delete

from mostrador.accounts.tokens import save_new_grant
from mostrador.context import AppContext
from mostrador.security.pkce import new_state, new_verifier, s256_challenge
from mostrador.store.db import transaction
from mostrador.store.models import Account, OAuthState, utcnow

STATE_TTL = timedelta(minutes=10)  # the authorization code lives 10 minutes (§2.1)


class ConnectError(Exception):
    """The OAuth round trip could not be completed."""


def begin(ctx: AppContext, workspace_id: int, agent_id: int | None) -> str:
    """Store a fresh state + PKCE verifier and return the authorization URL to send the seller to."""
    state, verifier = new_state(), new_verifier()
    with transaction(ctx.sessions) as s:
        s.execute(delete(OAuthState).where(OAuthState.created_at < utcnow() - STATE_TTL))
        s.add(OAuthState(state=state, workspace_id=workspace_id, agent_id=agent_id, code_verifier=verifier))
    return ctx.meli.authorization_url(
        redirect_uri=ctx.settings.redirect_uri,
        state=state,
        code_challenge=s256_challenge(verifier),
        code_challenge_method="S256",
    )


def _take_state(ctx: AppContext, state: str, workspace_id: int) -> str:
    """Single use: the row is deleted whatever happens next. Mercado Libre does not check state; we do."""
    with transaction(ctx.sessions) as s:
        row = s.get(OAuthState, state)
        if row is None or row.workspace_id != workspace_id:
            raise ConnectError("unknown or already used OAuth state; start the connection again")
        s.delete(row)
        if row.created_at < utcnow() - STATE_TTL:
            raise ConnectError("the connection attempt expired; start again")
        return row.code_verifier


async def complete(ctx: AppContext, workspace_id: int, code: str, state: str) -> int:
    """Exchange the code, identify the seller with /users/me, store encrypted tokens."""
    verifier = await asyncio.to_thread(_take_state, ctx, state, workspace_id)
    tokens = await ctx.meli.exchange_code(
        code=code, redirect_uri=ctx.settings.redirect_uri, code_verifier=verifier
    )
    me = await ctx.meli.get_me(tokens.access_token)
    return await asyncio.to_thread(
        save_new_grant, ctx, workspace_id, int(me.id), me.nickname or str(me.id), me.site_id or "", tokens
    )


def disconnect(ctx: AppContext, workspace_id: int, account_id: int) -> None:
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        if acc is None or acc.workspace_id != workspace_id:
            raise ConnectError("unknown account")
        acc.status, acc.status_detail = "disconnected", "disconnected by an agent"
        acc.access_token_enc = acc.refresh_token_enc = ""
        acc.token_version += 1
