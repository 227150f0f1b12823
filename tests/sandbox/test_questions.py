"""Questions and answers (§5): asking, both v4 shapes, answering rules, statuses, blacklist, search."""

import re

import httpx

from .conftest import Actors, bearer

NANOS_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z")
MS_MINUS4 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-04:00")


async def _setup(actors: Actors) -> tuple:
    seller = await actors.connect()
    item = await actors.item(seller)
    buyer = await actors.user(role="buyer")
    return seller, item, buyer


async def test_ask_then_answer_round_trip(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, item, buyer = await _setup(actors)
    asked = await actors.ask(buyer, item["id"])
    by_id = (
        await client.get(f"/questions/{asked['id']}", params={"api_version": 4}, headers=seller.headers)
    ).json()
    assert by_id["status"] == "UNANSWERED" and by_id["buyer_id"] == buyer["id"] and by_id["answer"] is None
    assert NANOS_UTC.fullmatch(by_id["date_created"]) and "from" not in by_id
    answered = await client.post(
        "/answers", json={"question_id": asked["id"], "text": "Sí, hay stock."}, headers=seller.headers
    )
    assert answered.status_code == 200
    body = answered.json()
    assert body["status"] == "ANSWERED" and body["answer"]["text"] == "Sí, hay stock."
    assert MS_MINUS4.fullmatch(body["answer"]["date_created"])
    log = (await client.get("/_sandbox/log", params={"kind": "answers"})).json()
    assert [(e["question_id"], e["text"], e["seller_id"]) for e in log] == [
        (asked["id"], "Sí, hay stock.", seller.user["id"])
    ]
    again = await client.post(
        "/answers", json={"question_id": asked["id"], "text": "otra"}, headers=seller.headers
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_question"


async def test_question_rules(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, item, buyer = await _setup(actors)
    too_long = await client.post(
        "/questions", json={"item_id": item["id"], "text": "a" * 2001}, headers=bearer(buyer)
    )
    assert too_long.status_code == 400
    own = await client.post(
        "/questions",
        json={"item_id": item["id"], "text": "hola"},
        headers={"Authorization": f"Bearer {seller.user['access_token']}"},
    )
    assert own.status_code == 403
    await client.put(f"/items/{item['id']}", json={"status": "paused"}, headers=seller.headers)
    paused = await client.post(
        "/questions", json={"item_id": item["id"], "text": "hola"}, headers=bearer(buyer)
    )
    assert paused.status_code == 400


async def test_answer_rules(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, item, buyer = await _setup(actors)
    asked = await actors.ask(buyer, item["id"])
    long = await client.post(
        "/answers", json={"question_id": asked["id"], "text": "a" * 2001}, headers=seller.headers
    )
    assert long.status_code == 400
    stranger = await client.post(
        "/answers", json={"question_id": asked["id"], "text": "hola"}, headers=bearer(buyer)
    )
    assert stranger.status_code == 403
    extra = await client.post(
        "/answers", json={"question_id": asked["id"], "text": "x", "foo": 1}, headers=seller.headers
    )
    assert extra.json()["error"] == "invalid_post_body"
    not_int = await client.post(
        "/answers", json={"question_id": str(asked["id"]), "text": "x"}, headers=seller.headers
    )
    assert not_int.json()["error"] == "invalid_question"


async def test_banned_and_deleted_questions(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, item, buyer = await _setup(actors)
    asked = await actors.ask(buyer, item["id"])
    await client.post(f"/_sandbox/questions/{asked['id']}/status", json={"status": "BANNED"})
    assert (await client.get(f"/questions/{asked['id']}", params={"api_version": 4})).status_code == 404
    own_view = (
        await client.get(f"/questions/{asked['id']}", params={"api_version": 4}, headers=seller.headers)
    ).json()
    assert own_view["text"] == "" and own_view["status"] == "BANNED"
    cannot = await client.post(
        "/answers", json={"question_id": asked["id"], "text": "x"}, headers=seller.headers
    )
    assert cannot.status_code == 400
    other = await actors.ask(buyer, item["id"], "¿Envían a Córdoba?")
    deleted = await client.delete(f"/questions/{other['id']}", headers=seller.headers)
    assert deleted.json() == ["Question deleted."]
    assert (await client.get(f"/questions/{other['id']}")).status_code == 404


async def test_banned_answer_shows_empty_text(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, item, buyer = await _setup(actors)
    asked = await actors.ask(buyer, item["id"])
    await client.post(
        "/answers", json={"question_id": asked["id"], "text": "llamame al 1155556666"}, headers=seller.headers
    )
    await client.post(
        f"/_sandbox/questions/{asked['id']}/status", json={"status": "ANSWERED", "answer_status": "BANNED"}
    )
    body = (await client.get(f"/questions/{asked['id']}", params={"api_version": 4})).json()
    assert body["answer"]["text"] == "" and body["answer"]["status"] == "BANNED"


async def test_closing_item_closes_unanswered(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, item, buyer = await _setup(actors)
    asked = await actors.ask(buyer, item["id"])
    await client.put(f"/items/{item['id']}", json={"status": "closed"}, headers=seller.headers)
    body = (await client.get(f"/questions/{asked['id']}", params={"api_version": 4})).json()
    assert body["status"] == "CLOSED_UNANSWERED"


async def test_blacklist_blocks_asking_and_answering(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, item, buyer = await _setup(actors)
    asked = await actors.ask(buyer, item["id"])
    path = f"/users/{seller.user['id']}/questions_blacklist"
    assert (await client.post(path, json={"user_id": buyer["id"]}, headers=seller.headers)).status_code == 200
    assert (await client.get(path, headers=seller.headers)).json() == [{"user": {"id": buyer["id"]}}]
    blocked = await client.post(
        "/questions", json={"item_id": item["id"], "text": "hola"}, headers=bearer(buyer)
    )
    assert blocked.status_code == 403
    answer = await client.post(
        "/answers", json={"question_id": asked["id"], "text": "x"}, headers=seller.headers
    )
    assert answer.status_code == 400
    assert (await client.delete(f"{path}/{buyer['id']}", headers=seller.headers)).status_code == 200
    await actors.ask(buyer, item["id"], "¿Y ahora?")


async def test_search_filters_sorts_and_paging(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, item, buyer = await _setup(actors)
    other_buyer = await actors.user(role="buyer")
    ids = [(await actors.ask(buyer, item["id"], f"pregunta {n}"))["id"] for n in range(3)]
    await client.post("/_sandbox/clock", json={"advance_s": 5})
    last = (await actors.ask(other_buyer, item["id"], "otra"))["id"]
    result = (
        await client.get(
            "/questions/search",
            headers=seller.headers,
            params={"item": item["id"], "api_version": 4, "limit": 2},
        )
    ).json()
    assert result["total"] == 4 and result["limit"] == 2 and result["questions"][0]["id"] == last
    assert result["questions"][0]["from"] == {"id": other_buyer["id"]}
    assert MS_MINUS4.fullmatch(result["questions"][0]["date_created"])
    assert result["filters"]["item"] == item["id"] and result["available_sorts"]
    asc = (
        await client.get(
            "/questions/search",
            headers=seller.headers,
            params={
                "seller_id": seller.user["id"],
                "sort_fields": "date_created",
                "sort_types": "ASC",
                "from": buyer["id"],
            },
        )
    ).json()
    assert [q["id"] for q in asc["questions"]] == sorted(ids, key=ids.index)
    unanswered = (
        await client.get(
            "/my/received_questions/search", headers=seller.headers, params={"status": "UNANSWERED"}
        )
    ).json()
    assert unanswered["total"] == 4
    bad = await client.get(
        "/questions/search", headers=seller.headers, params={"item": item["id"], "status": "X"}
    )
    assert bad.status_code == 400


async def test_response_time_metric_and_404(client: httpx.AsyncClient, actors: Actors) -> None:
    seller, item, buyer = await _setup(actors)
    missing = await client.get(f"/users/{seller.user['id']}/questions/response_time", headers=seller.headers)
    assert missing.status_code == 404
    assert missing.json()["message"] == f"Response time not found for user id: {seller.user['id']}"
    asked = await actors.ask(buyer, item["id"])
    await client.post("/_sandbox/clock", json={"advance_s": 600})
    await client.post("/answers", json={"question_id": asked["id"], "text": "Sí"}, headers=seller.headers)
    metric = (
        await client.get(f"/users/{seller.user['id']}/questions/response_time", headers=seller.headers)
    ).json()
    assert metric["total"]["response_time"] == 10
