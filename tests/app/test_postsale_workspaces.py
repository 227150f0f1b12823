"""One workspace never sees, nor writes in, another workspace's pack or claim."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import select

from mostrador.accounts.tokens import save_new_grant
from mostrador.channels.registry import channel_named
from mostrador.inbox import actions, views
from mostrador.reconciliation import sweeps as nets
from mostrador.security.pkce import new_verifier, s256_challenge
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import Conversation, Notification
from mostrador.users.service import create_user
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD, Market
from .sandbox_grant import REDIRECT, Connected, run_in_worker_context
from .sandbox_grant import ingest as ingest_as_seller


def connect_second_seller(
    postsale: Connected, workspace: str, nickname: str = "S2"
) -> tuple[dict[str, Any], int]:
    """Another seller grants the same application, from another workspace."""
    settings = postsale.ctx.settings
    with httpx.Client(base_url=postsale.sandbox.url) as c:
        seller = c.post(
            "/_sandbox/users", json={"nickname": nickname, "site_id": "MLA", "role": "seller"}
        ).json()
        verifier = new_verifier()
        r = c.post(
            "/authorization",
            data={
                "response_type": "code",
                "client_id": settings.meli_client_id,
                "redirect_uri": REDIRECT,
                "state": nickname,
                "code_challenge": s256_challenge(verifier),
                "code_challenge_method": "S256",
                "nickname": seller["nickname"],
                "password": seller["password"],
                "decision": "allow",
            },
        )
        code = parse_qs(urlparse(r.headers["location"]).query)["code"][0]
    tokens = run_in_worker_context(
        postsale, lambda ctx: ctx.meli.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=verifier)
    )
    with transaction(postsale.ctx.sessions) as s:
        ws_id = people_store.get_or_create_workspace(s, workspace).id
    return seller, save_new_grant(postsale.ctx, ws_id, int(seller["id"]), seller["nickname"], "MLA", tokens)


def ingest(postsale: Connected, topic: str, account_id: int, resource_id: str) -> Any:
    as_account = Connected(postsale.ctx, postsale.sandbox, postsale.seller, account_id)
    return ingest_as_seller(as_account, topic, resource_id)


def workspace_of(postsale: Connected, name: str) -> int:
    with transaction(postsale.ctx.sessions) as s:
        return people_store.get_or_create_workspace(s, name).id


@pytest.fixture
def two_workspaces(postsale: Connected, market: Market) -> dict[str, Any]:
    """Workspace `w` (the fixture's seller) and `w2` (a second seller), each with a pack chat and a claim."""
    seller2, account2 = connect_second_seller(postsale, "w2")
    market2 = Market(str(market.http.base_url), seller2)
    try:
        order1, order2 = market.sale("Uno"), market2.sale("Dos", nickname="COMPRADOR2")
        msg1 = market.buyer_writes(order1, "mensaje de w")
        msg2 = market2.buyer_writes(order2, "mensaje de w2")
        claim2 = market2.open_claim(market2.sale("Tres", nickname="COMPRADOR3"))
    finally:
        market2.close()
    ingest(postsale, "messages", postsale.account_id, msg1["id"])
    ingest(postsale, "messages", account2, msg2["id"])
    ingest(postsale, "post_purchase", account2, str(claim2["id"]))
    # The first account's token cannot read the second seller's resources: nothing is recorded.
    assert ingest(postsale, "messages", postsale.account_id, msg2["id"]).outcome == "skipped"
    assert ingest(postsale, "post_purchase", postsale.account_id, str(claim2["id"])).outcome == "skipped"
    with transaction(postsale.ctx.sessions) as s:
        foreign = s.scalars(select(Conversation.id).where(Conversation.account_id == account2)).all()
    create_user(postsale.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    return {"w": workspace_of(postsale, "w"), "w2": workspace_of(postsale, "w2"), "foreign": list(foreign)}


def test_read_models_and_actions_are_scoped_to_the_workspace(
    postsale: Connected, two_workspaces: dict[str, Any]
) -> None:
    w, w2, foreign = two_workspaces["w"], two_workspaces["w2"], two_workspaces["foreign"]
    assert len(foreign) == 2
    mine = views.inbox_threads(postsale.ctx, w, channel="messages")
    assert [t.messages[0].text for t in mine] == ["mensaje de w"]
    assert views.inbox_threads(postsale.ctx, w, channel="claims") == []
    assert {t.id for t in views.inbox_threads(postsale.ctx, w2, channel=None)} == set(foreign)
    for conversation_id in foreign:
        assert views.thread(postsale.ctx, w, conversation_id) is None
        with pytest.raises(actions.ConversationNotFound):
            actions.reply(postsale.ctx, w, 1, conversation_id, "hola")


def test_the_inbox_pages_of_one_workspace_never_show_another_s_pack_or_claim(
    postsale: Connected, two_workspaces: dict[str, Any]
) -> None:
    async def pages() -> None:
        app = create_app(postsale.ctx.settings, postsale.ctx, durable=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            login = await client.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
            form = {"email": "ana@example.com", "password": AGENT_PASSWORD, "csrf_token": csrf}
            assert (await client.post("/login", data=form)).status_code == 303
            after = await client.get("/account/password")  # a login issues a new CSRF token
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', after.text).group(1)  # type: ignore[union-attr]
            messages = await client.get("/inbox", params={"channel": "messages"})
            claims = await client.get("/inbox", params={"channel": "claims"})
            assert "mensaje de w" in messages.text and "mensaje de w2" not in messages.text
            assert "Dos" not in messages.text and "Tres" not in claims.text
            for conversation_id in two_workspaces["foreign"]:
                assert (await client.get(f"/inbox/{conversation_id}")).status_code == 404
                r = await client.post(
                    f"/inbox/{conversation_id}/reply",
                    data={"text": "hola", "reply_key": "", "csrf_token": csrf},
                )
                assert r.status_code == 404

    asyncio.run(pages())


def test_sweeps_of_one_account_never_pick_up_another_seller_s_packs_or_claims(
    postsale: Connected, two_workspaces: dict[str, Any]
) -> None:
    # The second seller's pack is unread and its claim open; the first account's sweeps must not see them.
    for channel in ("messages", "claims"):
        sweep = channel_named(channel)
        assert (
            run_in_worker_context(
                postsale, lambda ctx, c=sweep: nets.sweep_account(ctx, postsale.account_id, c)
            )
            == 0
        )
    with transaction(postsale.ctx.sessions) as s:
        assert s.scalars(select(Notification).where(Notification.source == "sweep")).all() == []
