"""The `on_call` hook: every HTTP attempt told to the app (metrics) without the client knowing how."""

from __future__ import annotations

import httpx
import pytest

from mostrador.meli import CallRecord, MeliClient, RetryPolicy, errors


async def _noop_sleep(_seconds: float) -> None:
    return None


def client_with(handler: httpx.MockTransport, on_call: object) -> MeliClient:
    return MeliClient(
        api_url="https://api.test",
        auth_url="https://auth.test",
        client_id="1",
        client_secret="s",
        http=httpx.AsyncClient(transport=handler),
        retry=RetryPolicy(max_attempts=2, base_delay=0.0, jitter=False),
        sleep=_noop_sleep,
        on_call=on_call,  # type: ignore[arg-type]
    )


async def test_each_attempt_is_told_with_its_family_status_and_error() -> None:
    seen: list[CallRecord] = []
    items = iter([503, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/answers":
            return httpx.Response(400, json={"message": "bad", "error": "bad_request", "status": 400})
        if next(items) == 503:
            return httpx.Response(503, json={"message": "down", "error": "x", "status": 503})
        return httpx.Response(200, json={"id": "MLA1", "title": "x"})

    client = client_with(httpx.MockTransport(handler), seen.append)
    await client.get_item("MLA1", "token")
    with pytest.raises(errors.MeliError):
        await client.post_answer(1, "hola", "token")
    await client.aclose()
    assert [(c.method, c.family, c.status, c.error) for c in seen] == [
        ("GET", "items", 503, "ServerError"),  # the first attempt, then the retry
        ("GET", "items", 200, None),
        ("POST", "answers", 400, "BadRequest"),
    ]
    assert all(c.seconds >= 0 for c in seen)


async def test_a_transport_failure_has_no_status_and_a_failing_hook_changes_nothing() -> None:
    seen: list[CallRecord] = []

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = client_with(httpx.MockTransport(handler), seen.append)
    with pytest.raises(errors.TransportError):
        await client.get_item("MLA1", "token")
    await client.aclose()
    assert {(c.family, c.status, c.error) for c in seen} == {("items", None, "TransportError")}

    def broken_hook(_call: CallRecord) -> None:
        raise RuntimeError("a metrics bug")

    ok = client_with(httpx.MockTransport(lambda r: httpx.Response(200, json={"id": "MLA1"})), broken_hook)
    assert (await ok.get_item("MLA1", "token")).id == "MLA1"
    await ok.aclose()
