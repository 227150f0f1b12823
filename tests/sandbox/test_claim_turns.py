"""Whose turn it is (§9.1: one player holds the mandatory action; `/detail` names the same one) and the
control API's deadline (`advance` with `due_in_s`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from .claim_world import ClaimCase, open_case
from .conftest import Actors

ROLE = {"respondent": "seller", "complainant": "buyer"}


async def _holders(case: ClaimCase) -> tuple[list[str], dict[str, Any]]:
    """Who holds a mandatory action in the claim, and the claim's detail."""
    claim = await case.get()
    holders = [
        ROLE[p["role"]]
        for p in claim["players"]
        if any(a["mandatory"] for a in p.get("available_actions") or [])
    ]
    return holders, await case.get("/detail")


async def _assert_turn(case: ClaimCase, expected: str | None) -> dict[str, Any]:
    holders, detail = await _holders(case)
    assert detail["action_responsible"] == expected
    if expected in ("seller", "buyer"):
        assert holders == [expected]
        claim = await case.get()
        mandatory = [a for p in claim["players"] for a in p.get("available_actions") or [] if a["mandatory"]]
        assert detail["due_date"] == mandatory[0]["due_date"]
    else:
        assert holders == []
    return detail


async def test_detail_follows_the_mandatory_action(client: httpx.AsyncClient, actors: Actors) -> None:
    case = await open_case(client, actors)
    await _assert_turn(case, "seller")
    await case.post("/actions/send-message", json={"receiver_role": "complainant", "message": "Hola"})
    detail = await _assert_turn(case, "buyer")
    assert detail["title"] == "Esperando al comprador"
    await case.control("/buyer_messages", {"text": "Sigue roto"})
    await _assert_turn(case, "seller")
    await case.post("/expected-resolutions/partial-refund", json={"percentage": 30})
    await _assert_turn(case, "buyer")
    await case.control("/partial_refund", {"accept": False})
    await _assert_turn(case, "seller")
    await case.post("/expected-resolutions/allow-return")
    await _assert_turn(case, "buyer")
    await case.control("/return", {"status": "shipped"})
    detail = await _assert_turn(case, None)
    assert detail["title"] == "Devolución en camino" and detail["due_date"] is None
    await case.control("/return", {"status": "delivered"})
    detail = await _assert_turn(case, None)
    assert detail["title"] == "Reclamo cerrado"


async def test_the_mediator_holds_the_turn_in_a_dispute(client: httpx.AsyncClient, actors: Actors) -> None:
    case = await open_case(client, actors)
    await case.post("/actions/open-dispute")
    detail = await _assert_turn(case, "mediator")
    assert detail["due_date"] is not None


async def test_advance_sets_the_deadline_of_whoever_must_act(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    case = await open_case(client, actors)
    clock = (await client.get("/_sandbox/clock")).json()
    moved = await case.control("/advance", {"due_in_s": 3600})
    assert moved.status_code == 200, moved.text
    due = moved.json()["players"][1]["available_actions"][0]
    assert due["action"] == "send_message_to_complainant" and due["mandatory"]
    detail = await case.get("/detail")
    assert detail["due_date"] == due["due_date"]
    seconds = datetime.fromisoformat(due["due_date"]).timestamp() - clock["timestamp"]
    assert 3599 <= seconds <= 3601 + 5
    assert await case.notified() == [["claims"], ["claims"]]
    await client.post("/_sandbox/clock", json={"advance_s": 3000})
    assert (await case.get())["stage"] == "claim"  # still in time


async def test_a_deadline_in_the_past_is_missed_at_the_next_tick(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    case = await open_case(client, actors)
    await case.control("/advance", {"due_in_s": -60})
    assert (await case.get())["stage"] == "claim"
    await client.post("/_sandbox/clock", json={"advance_s": 0})  # the notifier's next tick
    claim = await case.get()
    assert claim["stage"] == "dispute"
    assert (await case.get("/status-history"))[0]["change_by"] == "mediator"


async def test_no_deadline_to_move_on_a_closed_claim(client: httpx.AsyncClient, actors: Actors) -> None:
    case = await open_case(client, actors)
    await case.post("/expected-resolutions/refund")
    refused = await case.control("/advance", {"due_in_s": 60})
    assert refused.status_code == 400 and refused.json()["error"] == "bad_request_error"
    wrong = await case.control("/advance", {"due_in_s": "soon"})
    assert wrong.status_code == 400
