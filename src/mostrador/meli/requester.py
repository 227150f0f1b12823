"""The one place where the client talks HTTP: auth header, rate limit, breaker, retries, errors.

Every endpoint method of ``MeliClient`` goes through ``Requester.request``; nothing else touches
``httpx``. The access token travels only in the ``Authorization`` header, never in the query
string (§1).
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from .breaker import CircuitBreakers, breaker_family
from .errors import InvalidResponse, MeliError, ServerError, TransportError, error_from_response
from .ratelimit import RateLimiter, endpoint_family
from .retry import RetryPolicy

__all__ = ["CallRecord", "Requester", "path_segment"]

logger = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)
Sleep = Callable[[float], Awaitable[None]]
QueryValue = str | int | float | bool | None

_SEGMENT = re.compile(r"[A-Za-z0-9_.\-]{1,128}", re.ASCII)
# Failures after which the request certainly never reached Mercado Libre.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class CallRecord:
    """One HTTP attempt, told to the ``on_call`` hook (metrics): the caller's app wires it in, so this
    package stays free of any metrics library."""

    method: str
    family: str  # ``breaker_family`` of the path: answers, questions, items, messages, claims, oauth …
    status: int | None  # None: no response (a transport error)
    error: str | None  # the ``MeliError`` class name of a failure, None on success
    seconds: float


def path_segment(value: str | int) -> str:
    """``value`` as one URL path segment; anything that could change the path is refused.

    Ids reach URLs from notifications and user input; a hostile ``../`` or ``?`` must never
    turn into another endpoint.
    """
    text = str(value)
    if isinstance(value, bool) or not _SEGMENT.fullmatch(text) or text in {".", ".."}:
        raise ValueError(f"not a valid Mercado Libre id: {text!r}")
    return text


def _query(params: Mapping[str, QueryValue] | None) -> dict[str, str]:
    query: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        query[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return query


class Requester:
    """Connection settings plus the single ``request`` method every endpoint uses."""

    def __init__(
        self,
        *,
        api_url: str,
        auth_url: str,
        client_id: str,
        client_secret: str,
        http: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        breakers: CircuitBreakers | None = None,
        timeout: float = 10.0,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        user_agent: str = "mostrador-meli",
        on_call: Callable[[CallRecord], None] | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.auth_url = auth_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=timeout)
        self.retry = retry if retry is not None else RetryPolicy()
        self.limiter = limiter
        self.breakers = breakers
        self._timeout = timeout
        self._sleep = sleep
        self._rng = rng
        self._user_agent = user_agent
        self._on_call = on_call

    async def aclose(self) -> None:
        """Close the HTTP client, but only one this object created itself."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Requester:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        params: Mapping[str, QueryValue] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        retry_unsafe: bool = False,
    ) -> httpx.Response:
        """Send one API call with retries; return the 2xx response or raise a ``MeliError``.

        ``retry_unsafe=True`` lets a POST/PUT/DELETE be retried after a 5xx or a timeout; only
        pass it when repeating the call cannot do the work twice.
        """
        method = method.upper()
        family = endpoint_family(method, path)
        request_headers = {"Accept": "application/json", "User-Agent": self._user_agent, **(headers or {})}
        if token is not None:
            request_headers["Authorization"] = f"Bearer {token}"
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(
                    method,
                    path,
                    family,
                    params=params,
                    json=json,
                    data=data,
                    files=files,
                    headers=request_headers,
                )
            except MeliError as error:
                if attempt >= self.retry.max_attempts or not self.retry.should_retry(
                    error, method, retry_unsafe=retry_unsafe
                ):
                    raise
                wait = self.retry.delay(error, attempt, self._rng)
                logger.warning(
                    "meli %s %s failed (%s); retry %d/%d in %.2fs",
                    method,
                    path,
                    type(error).__name__,
                    attempt,
                    self.retry.max_attempts - 1,
                    wait,
                )
                await self._sleep(wait)

    async def _attempt(
        self,
        method: str,
        path: str,
        family: str,
        *,
        params: Mapping[str, QueryValue] | None,
        json: Any,
        data: Mapping[str, str] | None,
        files: Mapping[str, tuple[str, bytes, str]] | None,
        headers: dict[str, str],
    ) -> httpx.Response:
        # Breakers per endpoint family: a failing /answers must not stop /items or /messages. Asked
        # before the rate permit too: a call refused by an open breaker must not spend (nor wait for)
        # budget that healthy families sharing it need.
        breaker = self.breakers.for_path(path) if self.breakers is not None else None
        if breaker is not None:
            breaker.refuse_if_open()
        if self.limiter is not None:
            await self.limiter.acquire(self.client_id, family)
        if breaker is not None:
            breaker.before_call()  # the gate itself (it may have opened while this call waited)
        started = time.monotonic()
        try:
            response = await self._http.request(
                method,
                f"{self.api_url}{path}",
                params=_query(params),
                json=json,
                data=data,
                files=files,
                headers=headers,
                timeout=self._timeout,
            )
        except httpx.TransportError as exc:
            if breaker is not None:
                breaker.record_failure()
            failure = TransportError(
                f"{method} {path}: {type(exc).__name__}", request_sent=not isinstance(exc, _NOT_SENT)
            )
            self._tell(method, path, None, failure, started)
            raise failure from exc
        error = (
            None
            if response.is_success
            else error_from_response(response, default_retry_after=self.retry.rate_limit_delay)
        )
        self._tell(method, path, response.status_code, error, started)
        if breaker is not None:
            if isinstance(error, ServerError):
                breaker.record_failure()
            else:
                breaker.record_success()
        if error is not None:
            raise error
        return response

    def _tell(
        self, method: str, path: str, status: int | None, error: MeliError | None, started: float
    ) -> None:
        if self._on_call is None:
            return
        record = CallRecord(
            method,
            breaker_family(path),
            status,
            None if error is None else type(error).__name__,
            time.monotonic() - started,
        )
        try:
            self._on_call(record)
        except Exception:  # an observer's bug must not turn a good call into a failure
            logger.exception("on_call hook failed")

    @staticmethod
    def json_body(response: httpx.Response) -> Any:
        """The decoded JSON body of a successful response, or ``InvalidResponse``."""
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidResponse(
                "response body is not JSON", status=response.status_code, body=response.text[:500]
            ) from exc

    @staticmethod
    def parse(model: type[ModelT], payload: Any) -> ModelT:
        """Validate ``payload`` as ``model``; a shape we cannot read becomes ``InvalidResponse``."""
        try:
            return model.model_validate(payload)
        except ValidationError as exc:
            raise InvalidResponse(f"unexpected {model.__name__} payload: {exc}", body=payload) from exc

    async def get_model(
        self,
        model: type[ModelT],
        path: str,
        *,
        token: str | None,
        params: Mapping[str, QueryValue] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ModelT:
        """GET ``path`` and parse the body as ``model``."""
        response = await self.request("GET", path, token=token, params=params, headers=headers)
        return self.parse(model, self.json_body(response))
