"""Run an ASGI app with uvicorn in a background thread (demo, tests, benchmarks)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import httpx
import uvicorn
from uvicorn.config import LOGGING_CONFIG


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """Start with `start()`, which returns once the server accepts connections; `stop()` is graceful."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "server",
        log_config: Any = LOGGING_CONFIG,
    ) -> None:
        self.host, self.port = host, port or free_port()
        config = uvicorn.Config(
            app,
            host=self.host,
            port=self.port,
            log_level="warning",
            log_config=log_config,  # None: the process's own handler (mostrador.observability.logs)
            timeout_graceful_shutdown=2,  # open SSE/long polls must not block shutdown
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=name, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError(f"{self.thread.name} failed to start on port {self.port}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.thread.name} did not start within {timeout} s")
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        # Long-lived responses (the inbox's event streams) end first: shutdown must not wait for them.
        close_streams = getattr(getattr(self.server.config.app, "state", None), "close_streams", None)
        if callable(close_streams):
            close_streams()
        self.server.should_exit = True
        self.thread.join(timeout=timeout)


class ChildApp:
    """`mostrador serve` as a child process (crash tests and the soak benchmark kill it with SIGKILL)."""

    def __init__(self, env: dict[str, str], port: int, log_path: str) -> None:
        self.env, self.port, self.log_path = env, port, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn_worker(self, executor_id: str, metrics_port: int | None = None) -> subprocess.Popen[bytes]:
        """A `mostrador worker` sharing this app's settings (PostgreSQL mode); with `metrics_port`, its
        `/readyz` says when it has launched (and takes work)."""
        cmd = [sys.executable, "-m", "mostrador.cli.main", "worker", "--executor-id", executor_id]
        if metrics_port is not None:
            cmd += ["--metrics-port", str(metrics_port)]
        with open(f"{self.log_path}.{executor_id}", "ab") as out:
            return subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def wait_until_ready(port: int, timeout: float = 120.0) -> None:
        """Until the process serving `/readyz` on `port` says it is ready (a worker: launched)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"nothing ready on port {port} after {timeout:.0f} s")

    def start(self, timeout: float = 60.0) -> None:
        cmd = [sys.executable, "-m", "mostrador.cli.main", "serve", "--port", str(self.port)]
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                with open(self.log_path, "rb") as log:
                    tail = log.read()[-3000:].decode(errors="replace")
                raise RuntimeError(f"mostrador serve exited with {self.proc.returncode}:\n{tail}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("mostrador serve did not become healthy")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, exactly like a crashed host."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
