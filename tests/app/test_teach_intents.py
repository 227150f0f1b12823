"""Teaching the bot from the inbox: an agent ticks what a question asks; it becomes an example of the
account (once: the same ticks again change nothing), the page says what was taught, the labelling rules
refuse a bad combination in words, and viewers and other workspaces cannot teach."""

from __future__ import annotations

import asyncio
import re

import httpx

from mostrador.inbox import learning
from mostrador.store import learning as learning_store
from mostrador.store.db import transaction
from mostrador.users.roles import Role
from mostrador.users.service import create_user
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD, log_in
from .sandbox_grant import Buyer, Connected, ingest, new_listing


def test_an_agent_teaches_the_bot_what_a_question_asks(connected: Connected) -> None:
    create_user(connected.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    create_user(connected.ctx.sessions, "lu@example.com", AGENT_PASSWORD, "Lu", "w", role=Role.VIEWER)
    create_user(connected.ctx.sessions, "otra@example.com", AGENT_PASSWORD, "Otra", "otro")
    item = new_listing(connected)
    buyer = Buyer(connected, "APRENDE")
    question = buyer.ask(item, "cuanto sale si llevo tres?").json()
    ingest(connected, "questions", question["id"])
    from sqlalchemy import select

    from mostrador.store.models import Conversation

    with transaction(connected.ctx.sessions) as s:
        thread = s.scalars(
            select(Conversation).where(Conversation.external_key == f"{item}:{buyer.id}")
        ).one()
        thread_id, workspace_id = thread.id, thread.workspace_id
    qid = str(question["id"])

    async def go() -> None:
        app = create_app(connected.ctx.settings, connected.ctx, durable=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as ana:
            await log_in(ana, "ana@example.com")
            page = (await ana.get(f"/inbox/{thread_id}")).text
            assert f'action="/inbox/{thread_id}/intents"' in page and "¿El bot entendió bien?" in page
            bad = await ana.post(
                f"/inbox/{thread_id}/intents", data={"question_id": qid, "intents": ["greeting", "price"]}
            )
            assert bad.status_code == 422 and "«Saludo» y «otro tema» van solos" in bad.text
            none = await ana.post(f"/inbox/{thread_id}/intents", data={"question_id": qid})
            assert none.status_code == 422 and "Elegí al menos un tema." in none.text
            taught = await ana.post(
                f"/inbox/{thread_id}/intents", data={"question_id": qid, "intents": ["price", "availability"]}
            )
            assert taught.status_code == 303 and taught.headers["location"].endswith(f"#q-{qid}")
            page = (await ana.get(f"/inbox/{thread_id}")).text
            assert re.search(r"Enseñado al bot: stock, precio|Enseñado al bot: precio, stock", page), page
            assert 'value="price" checked' in page and 'value="shipping" checked' not in page
            with transaction(connected.ctx.sessions) as s:
                revision = learning_store.learning_state(s, thread.account_id)
                before = revision.revision if revision else 0
            again = await ana.post(
                f"/inbox/{thread_id}/intents", data={"question_id": qid, "intents": ["availability", "price"]}
            )
            assert again.status_code == 303
            with transaction(connected.ctx.sessions) as s:
                state = learning_store.learning_state(s, thread.account_id)
                assert state is not None and state.revision == before  # nothing new to learn
            missing = await ana.post(
                f"/inbox/{thread_id}/intents", data={"question_id": "999", "intents": ["price"]}
            )
            assert missing.status_code == 422

        async with httpx.AsyncClient(transport=transport, base_url="http://test") as lu:
            await log_in(lu, "lu@example.com")
            assert "/intents" not in (await lu.get(f"/inbox/{thread_id}")).text
            r = await lu.post(f"/inbox/{thread_id}/intents", data={"question_id": qid, "intents": ["price"]})
            assert r.status_code == 403
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as otra:
            await log_in(otra, "otra@example.com")
            r = await otra.post(
                f"/inbox/{thread_id}/intents", data={"question_id": qid, "intents": ["price"]}
            )
            assert r.status_code == 404

    asyncio.run(go())
    [example] = learning.examples(connected.ctx, workspace_id, thread.account_id)
    assert (
        sorted(example.intents) == ["availability", "price"] and example.text == "cuanto sale si llevo tres?"
    )
