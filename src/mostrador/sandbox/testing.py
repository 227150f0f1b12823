"""Helpers for other test suites: run a sandbox on a free loopback port and set up a connected seller."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

from mostrador.sandbox.app import create_app
from mostrador.sandbox.config import SandboxConfig
from mostrador.sandbox.server import BackgroundServer, free_port


@dataclasses.dataclass(frozen=True)
class RunningSandbox:
    url: str
    app: FastAPI


@contextlib.contextmanager
def running_sandbox_app(
    config: SandboxConfig | None = None, host: str = "127.0.0.1"
) -> Iterator[RunningSandbox]:
    """Start a sandbox in a background thread; yields its URL and the app (state on `app.state`)."""
    port = free_port(host)
    base = config or SandboxConfig()
    config = dataclasses.replace(base, public_url=f"http://{host}:{port}")
    app = create_app(config)
    server = BackgroundServer(app, host, port)
    server.start()
    try:
        yield RunningSandbox(url=server.url, app=app)
    finally:
        server.stop()


@contextlib.contextmanager
def running_sandbox(config: SandboxConfig | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """Start a sandbox in a background thread and yield its base URL."""
    with running_sandbox_app(config, host) as sandbox:
        yield sandbox.url


@contextlib.contextmanager
def running_asgi_server(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve any ASGI app (e.g. a webhook receiver in a test) on a free loopback port."""
    server = BackgroundServer(app, host, free_port(host))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
