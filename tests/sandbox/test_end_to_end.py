"""End to end over loopback: a buyer asks, the sandbox notifies a bot, the bot answers within a second."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import BackgroundTasks, FastAPI, Response

from mostrador.sandbox.config import SandboxConfig
from mostrador.sandbox.testing import running_asgi_server, running_sandbox

from .conftest import Actors
from .test_notifications import eventually


def answering_bot(sandbox_url: str, seller: dict[str, Any]) -> FastAPI:
    """Acknowledges at once (§4.4) and answers in the background with the seller's own token."""
    bot = FastAPI()

    async def answer(resource: str) -> None:
        headers = {"Authorization": f"Bearer {seller['access_token']}"}
        async with httpx.AsyncClient(base_url=sandbox_url, headers=headers) as api:
            question = (await api.get(resource, params={"api_version": 4})).json()
            if question["status"] == "UNANSWERED":
                await api.post("/answers", json={"question_id": question["id"], "text": "¡Sí, hay stock!"})

    @bot.post("/notifications")
    async def notified(body: dict[str, Any], background: BackgroundTasks) -> Response:
        if body["topic"] == "questions":
            background.add_task(answer, body["resource"])
        return Response(status_code=200)

    return bot


async def test_a_question_is_notified_and_answered_end_to_end() -> None:
    with running_sandbox(SandboxConfig(seed=9)) as sandbox_url:
        async with httpx.AsyncClient(base_url=sandbox_url) as http:
            actors = Actors(http)
            seller_box: dict[str, Any] = {}
            with running_asgi_server(answering_bot(sandbox_url, seller_box)) as bot_url:
                app = await actors.app(callback_url=f"{bot_url}/notifications", topics=["questions"])
                seller = await actors.connect(app)
                seller_box["access_token"] = seller.tokens["access_token"]
                item = await actors.item(seller)
                buyer = await actors.user(role="buyer")
                question = await actors.ask(buyer, item["id"])

                async def answered() -> list[Any]:
                    return list((await http.get("/_sandbox/log", params={"kind": "answers"})).json())

                # No timing here (the machine is shared): how fast is bench/'s to measure.
                log = await eventually(answered, timeout_s=30.0)
                assert log[0]["question_id"] == question["id"] and log[0]["text"] == "¡Sí, hay stock!"
