"""Run the sandbox as a real HTTP server (uvicorn), blocking or in a background thread."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from mostrador.sandbox.app import create_app
from mostrador.sandbox.config import SandboxConfig


class SandboxServerError(RuntimeError):
    """The background server did not start in time."""


def serve(host: str, port: int, config: SandboxConfig) -> None:
    """Blocking run, used by `mostrador sandbox serve`."""
    uvicorn.run(create_app(config), host=host, port=port, log_level="info")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class BackgroundServer:
    """A uvicorn server on its own thread and event loop; `stop()` waits for a clean shutdown."""

    def __init__(self, app: object, host: str, port: int) -> None:
        self.host = host
        self.port = port
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")  # type: ignore[arg-type]
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"sandbox-{port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise SandboxServerError(f"server on port {self.port} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
