"""Intake benchmark: webhook acknowledgement latency at a fixed arrival rate, against a bare endpoint.

Runs `mostrador serve`-equivalent (the real app factory, SQLite in a temp dir, one uvicorn process)
and, in a second process, an open-loop load generator that POSTs notifications at `--rate` per second
for `--seconds`, then the same load against `/healthz` (a bare endpoint that does no work) measured in
the same run. Prints JSON: medians and p99 of both, and their ratio.

    .venv/bin/python bench/intake.py --rate 1000 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

SELLER = 2_300_000_001
APP_ID = "7777777777777777"


def serve(data_dir: str, port: int, ready: Any) -> None:
    import uvicorn

    from mostrador.context import build_context
    from mostrador.settings import Settings
    from mostrador.store import migrate
    from mostrador.store import people as people_store
    from mostrador.store.db import make_engine, make_sessionmaker, transaction
    from mostrador.store.models import Account
    from mostrador.web.app import create_app

    settings = Settings(data_dir=Path(data_dir), meli_client_id=APP_ID, log_level="ERROR").ensure_secrets()
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as s:
        ws = people_store.get_or_create_workspace(s, "bench")
        s.add(Account(workspace_id=ws.id, meli_user_id=SELLER, nickname="BENCH", site_id="MLA"))
    engine.dispose()
    # Intake only: the dispatcher and workflows are measured by bench/soak.py. The bot is trained
    # before the server starts, so its training does not compete with the measurement.
    context = build_context(settings)
    context.bots.warm()
    app = create_app(settings, context, durable=False)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", access_log=False)
    server = uvicorn.Server(config)
    ready.set()
    server.run()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the server process (Linux): its cost per request, which noise barely moves."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid: int, url: str, method: str, rate: int, seconds: float, body: bool) -> dict[str, Any]:
    before = cpu_seconds(pid)
    result = asyncio.run(load(url, method, rate, seconds, body))
    result["server_cpu_ms_per_request"] = round(1000 * (cpu_seconds(pid) - before) / result["requests"], 3)
    return result


def notification(i: int) -> bytes:
    return json.dumps(
        {
            "_id": str(uuid.uuid4()),
            "resource": f"/questions/{10_000_000_000 + i}",
            "user_id": SELLER,
            "topic": "questions",
            "application_id": int(APP_ID),
            "attempts": 1,
            "sent": "2026-11-27T10:00:00.000Z",
            "received": "2026-11-27T10:00:00.000Z",
        }
    ).encode()


async def _connection(
    host: str, port: int, jobs: asyncio.Queue[Any], out: list[float], errors: list[int]
) -> None:
    """One keep-alive HTTP/1.1 connection sending its share of the schedule (a tiny client: httpx's
    own overhead at these rates is larger than the server's work, and would be what we measure)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while True:
            job = await jobs.get()
            if job is None:
                return
            due, request = job
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                errors.append(1)
            # From the scheduled time, so a server that falls behind shows its queueing delay too.
            out.append((time.perf_counter() - due) * 1000)
    finally:
        writer.close()


def _request(host: str, port: int, method: str, path: str, body: bytes | None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"host: {host}:{port}"]
    if body is not None:
        lines += ["content-type: application/json", f"content-length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def load(
    url: str, method: str, rate: int, seconds: float, body: bool, connections: int = 64
) -> dict[str, Any]:
    parsed = httpx.URL(url)
    host, port, path = parsed.host, parsed.port or 80, parsed.path
    total = int(rate * seconds)
    jobs: asyncio.Queue[Any] = asyncio.Queue()
    start = time.perf_counter() + 0.2
    for i in range(total):
        request = _request(host, port, method, path, notification(i) if body else None)
        jobs.put_nowait((start + i / rate, request))
    for _ in range(connections):
        jobs.put_nowait(None)
    latencies: list[float] = []
    errors: list[int] = []
    await asyncio.gather(*(_connection(host, port, jobs, latencies, errors) for _ in range(connections)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": total,
        "errors": len(errors),
        "achieved_rate": round(total / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    from mostrador.cli.servers import free_port

    port = free_port()
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    with tempfile.TemporaryDirectory() as tmp:
        proc = ctx.Process(target=serve, args=(tmp, port, ready), daemon=True)
        proc.start()
        ready.wait(60)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    sys.exit("server did not start")
                time.sleep(0.1)
        asyncio.run(load(f"{base}/healthz", "GET", 200, 1, body=False))  # warm-up
        assert proc.pid is not None
        bare = measured(proc.pid, f"{base}/healthz", "GET", args.rate, args.seconds, body=False)
        intake = measured(proc.pid, f"{base}/notifications", "POST", args.rate, args.seconds, body=True)
        proc.terminate()
        proc.join(10)
    print(
        json.dumps(
            {
                "benchmark": "intake",
                "rate_per_s": args.rate,
                "seconds": args.seconds,
                "machine_cores": mp.cpu_count(),
                "bare_endpoint": bare,
                "intake": intake,
                "ratio_p50": round(intake["p50_ms"] / bare["p50_ms"], 2),
                "ratio_p99": round(intake["p99_ms"] / bare["p99_ms"], 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
