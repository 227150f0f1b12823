"""A real HTTP receiver on loopback for the outgoing webhooks' tests, and a signature verifier written
from the Standard Webhooks specification's text (not from the library Mostrador signs with).

The receiver answers each request as its script says — a status code, or "hang" (answer only after the
sender has stopped waiting) — then 200 once the script is spent, and records every request it got.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG = "hang"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


class _V6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class Receiver:
    def __init__(
        self, script: list[int | str] | None = None, hang_s: float = 2.0, host: str = "127.0.0.1"
    ) -> None:
        self.script = list(script or [])
        self.hang_s = hang_s
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    step = receiver.script.pop(0) if receiver.script else 200
                if step == HANG:
                    receiver._release.wait(receiver.hang_s)
                    step = 200
                try:
                    self.send_response(int(step))
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the sender stopped waiting and hung up
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return

        server = _V6Server if ":" in host else ThreadingHTTPServer
        self.server = server((host, 0), Handler)
        self.host = f"[{host}]" if ":" in host else host
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.server.server_address[1]}/hooks"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def of_type(self, event_type: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.json["type"] == event_type]


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance_s: int = 300) -> bool:
    """Standard Webhooks, "Verifying webhooks": the key is the base64 part after `whsec_`; the signed
    content is `{webhook-id}.{webhook-timestamp}.{body}`; the signature is HMAC-SHA256 of it, base64,
    prefixed `v1,`; the header may list several signatures separated by spaces; a timestamp outside
    the tolerance is refused (replay protection)."""
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret[len("whsec_") :])
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance_s:
        return False
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in headers["webhook-signature"].split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False
