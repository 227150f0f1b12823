"""Intake benchmark: webhook acknowledgement latency of the app as it runs, beside a bare endpoint.

Processes, besides this one (the load generator):

* **the app**: `mostrador serve`, exactly as deployed on one machine: DBOS launched, the dispatcher and
  the workflow workers on, SQLite in a temporary data directory (PostgreSQL when
  MOSTRADOR_TEST_DATABASE_URL is set, as `scripts/with-postgres.sh` does), connected through the real
  OAuth flow to a seller in the sandbox;
* **the sandbox** (the Mercado Libre emulator) holding that seller, a listing and one unanswered
  question for every notification the run sends, so each accepted notification becomes a workflow
  that fetches its question, lets the bot answer and posts the answer, while the load runs;
* **the bare endpoint**: a FastAPI app with one route, `POST /notifications` → 200 after reading the
  body, under the same uvicorn settings as `mostrador serve` (no per-request access log).

The same open-loop load (`--rate` per second for `--seconds`, the same request bytes, 64 keep-alive
connections) is sent to the bare endpoint, then to the app; latency is measured from each request's
scheduled time, so queueing shows. Prints JSON: p50/p99/max of both, their ratio, the CPU each
server used per request, and how much work the app's workers finished during its window.

    .venv/bin/python bench/intake.py --rate 1000 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import create_engine, text

QUESTION_TEXT = "Hola, tenés stock?"


# ---- the sandbox, in its own process ---------------------------------------------------------------
def sandbox_process(port: int, conn: Connection) -> None:
    """Serve the sandbox; on request, add unanswered questions straight into its state (10,000 of them
    through its HTTP API would take longer than the measurement)."""
    from mostrador.sandbox.app import create_app
    from mostrador.sandbox.config import SandboxConfig
    from mostrador.sandbox.questions import ask
    from mostrador.sandbox.server import BackgroundServer

    app = create_app(SandboxConfig(public_url=f"http://127.0.0.1:{port}", seed=7))
    server = BackgroundServer(app, "127.0.0.1", port)
    server.start()
    conn.send("ready")
    while (request := conn.recv()) is not None:
        state = app.state.sandbox
        buyers = [state.user(b) for b in request["buyers"]]
        app_id = int(request["app_id"])
        conn.send(
            [
                ask(state, buyers[i % len(buyers)], request["item_id"], QUESTION_TEXT, app_id).id
                for i in range(request["count"])
            ]
        )
    server.stop()


# ---- the bare endpoint, in its own process -----------------------------------------------------------
def bare_process(port: int, log_path: str) -> None:
    import uvicorn

    app = FastAPI()

    @app.post("/notifications")
    async def notifications(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"status": "ok"})

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    with open(log_path, "ab") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
    # The settings `mostrador serve` runs uvicorn with (src/mostrador/cli/main.py; no access log at the
    # default MOSTRADOR_LOG_LEVEL).
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="info", access_log=False, timeout_graceful_shutdown=2
    )


# ---- measuring -----------------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux): its cost per request, which noise barely moves."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def notification(question_id: int, seller_id: int, app_id: int) -> bytes:
    return json.dumps(
        {
            "_id": str(uuid.uuid4()),
            "resource": f"/questions/{question_id}",
            "user_id": seller_id,
            "topic": "questions",
            "application_id": app_id,
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
    url: str, method: str, rate: int, bodies: list[bytes | None], connections: int = 64
) -> dict[str, Any]:
    parsed = httpx.URL(url)
    host, port, path = parsed.host, parsed.port or 80, parsed.path
    jobs: asyncio.Queue[Any] = asyncio.Queue()
    start = time.perf_counter() + 0.2
    for i, body in enumerate(bodies):
        jobs.put_nowait((start + i / rate, _request(host, port, method, path, body)))
    for _ in range(connections):
        jobs.put_nowait(None)
    latencies: list[float] = []
    errors: list[int] = []
    await asyncio.gather(*(_connection(host, port, jobs, latencies, errors) for _ in range(connections)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(bodies),
        "errors": len(errors),
        "achieved_rate": round(len(bodies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 3),
        "max_ms": round(latencies[-1], 3),
    }


def measured(pid: int, url: str, rate: int, bodies: list[bytes | None]) -> dict[str, Any]:
    before = cpu_seconds(pid)
    result = asyncio.run(load(url, "POST", rate, bodies))
    result["server_cpu_ms_per_request"] = round(1000 * (cpu_seconds(pid) - before) / result["requests"], 3)
    return result


def wait_healthy(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"{url} did not start")
        time.sleep(0.1)


def app_progress(database_url: str, dbos_url: str) -> dict[str, int]:
    """Where the app's own work stands: notifications by status, and workflows DBOS finished."""
    from mostrador.settings import normalise_db_url

    engine = create_engine(normalise_db_url(database_url))
    with engine.connect() as conn:
        statuses = dict(
            conn.execute(text("SELECT status, count(*) FROM notifications GROUP BY status")).all()
        )
    engine.dispose()
    engine = create_engine(normalise_db_url(dbos_url))
    table = "dbos.workflow_status" if engine.dialect.name == "postgresql" else "workflow_status"
    with engine.connect() as conn:
        workflows = dict(
            conn.execute(
                text(
                    f"SELECT status, count(*) FROM {table}"
                    " WHERE name = 'conversation_resource' GROUP BY status"
                )
            ).all()
        )
    engine.dispose()
    return {
        "notifications_recorded": sum(int(n) for n in statuses.values()),
        "notifications_marked_dispatched": int(statuses.get("dispatched", 0)),
        "workflows_enqueued": sum(int(n) for n in workflows.values()),
        "workflows_finished": int(workflows.get("SUCCESS", 0)),
    }


def app_processes(workers: int, run_workers: bool) -> str:
    if workers:
        return f"`mostrador serve` with MOSTRADOR_RUN_WORKERS=false + {workers} `mostrador worker`"
    if not run_workers:  # MOSTRADOR_RUN_WORKERS=false in this environment: a diagnostic, not a deployment
        return (
            "one `mostrador serve` with MOSTRADOR_RUN_WORKERS=false: intake and dispatcher, no workflow runs"
        )
    return "one `mostrador serve` running intake, dispatcher and workflows"


def _fresh_pg_database(base_url: str) -> str:
    from mostrador.settings import normalise_db_url

    name = f"intake_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_db_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{normalise_db_url(base_url).rpartition('/')[0]}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument(
        "--meli-per-minute",
        type=int,
        default=None,
        help="MOSTRADOR_MELI_DEFAULT_PER_MINUTE for the app (default: the app's own default)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="PostgreSQL only: the app as a web process that runs no workflows "
        "(MOSTRADOR_RUN_WORKERS=false) plus this many `mostrador worker` processes",
    )
    args = parser.parse_args()
    if args.workers and not os.environ.get("MOSTRADOR_TEST_DATABASE_URL"):
        sys.exit("--workers needs PostgreSQL: run under scripts/with-postgres.sh")

    from mostrador.cli.demo import (
        DEMO_EMAIL,
        _create_admin,
        child_process_settings,
        connect_seller_via_oauth,
        setup_sandbox,
    )
    from mostrador.cli.servers import ChildApp, free_port
    from mostrador.context import build_context

    total = int(args.rate * args.seconds)
    spawn = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        sandbox_port, app_port, bare_port = free_port(), free_port(), free_port()
        sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        app_url, bare_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
        to_sandbox, sandbox_end = spawn.Pipe()
        sandbox = spawn.Process(target=sandbox_process, args=(sandbox_port, sandbox_end), daemon=True)
        sandbox.start()
        assert to_sandbox.recv() == "ready"
        world = setup_sandbox(sandbox_url, app_url, "MLA")
        with httpx.Client(base_url=sandbox_url, timeout=30) as api:
            buyers = [
                api.post(
                    "/_sandbox/users", json={"nickname": f"BENCH{i}", "site_id": "MLA", "role": "buyer"}
                ).json()["id"]
                for i in range(20)
            ]
            seller_auth = {"Authorization": f"Bearer {world['seller']['access_token']}"}
            item_id = next(
                i
                for i in world["items"]
                if not api.get(f"/items/{i}", headers=seller_auth).json().get("variations")
            )
            api.put(f"/items/{item_id}", json={"available_quantity": 500}, headers=seller_auth)
        to_sandbox.send(
            {"buyers": buyers, "item_id": item_id, "count": total, "app_id": world["app"]["client_id"]}
        )
        question_ids: list[int] = to_sandbox.recv()

        extra = {"log_level": "ERROR"}
        if args.workers:
            extra["run_workers"] = "false"
        if args.meli_per_minute:
            extra["meli_default_per_minute"] = str(args.meli_per_minute)
        if os.environ.get("MOSTRADOR_TEST_DATABASE_URL"):
            extra["database_url"] = _fresh_pg_database(os.environ["MOSTRADOR_TEST_DATABASE_URL"])
        settings, env = child_process_settings(
            app_url, sandbox_url, world["app"], Path(f"{tmp}/data"), **extra
        )
        password = secrets.token_urlsafe(12)
        _create_admin(settings, password)
        build_context(settings).bots.warm()  # trained before the server starts: not in the measurement
        app = ChildApp(env, app_port, f"{tmp}/app.log")
        app.start()
        workers = [app.spawn_worker(f"bench-worker-{i}") for i in range(1, args.workers + 1)]
        connect_seller_via_oauth(app_url, DEMO_EMAIL, password, world["seller"])
        bare = spawn.Process(target=bare_process, args=(bare_port, f"{tmp}/bare.log"), daemon=True)
        bare.start()
        wait_healthy(bare_url)
        assert app.proc is not None and bare.pid is not None
        try:
            for url in (bare_url, app_url):  # warm-up: connections, first-request paths
                asyncio.run(load(f"{url}/healthz", "GET", 200, [None] * 200))
            seller_id, app_id = int(world["seller"]["id"]), int(world["app"]["client_id"])
            bodies: list[bytes | None] = [notification(q, seller_id, app_id) for q in question_ids]
            print(f"bare endpoint: {len(bodies)} requests at {args.rate}/s", file=sys.stderr, flush=True)
            bare_result = measured(bare.pid, f"{bare_url}/notifications", args.rate, bodies)
            print(f"the app: {len(bodies)} requests at {args.rate}/s", file=sys.stderr, flush=True)
            before = time.monotonic()
            app_result = measured(app.proc.pid, f"{app_url}/notifications", args.rate, bodies)
            progress = app_progress(settings.resolved_database_url, settings.resolved_dbos_url)
            progress["window_s"] = round(time.monotonic() - before, 1)
            with httpx.Client(base_url=sandbox_url, timeout=30) as api:
                progress["answers_posted"] = len(api.get("/_sandbox/log", params={"kind": "answers"}).json())
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(20)
            app.stop()
            bare.terminate()
            bare.join(10)
            to_sandbox.send(None)
            sandbox.join(10)
    print(
        json.dumps(
            {
                "benchmark": "intake",
                "load_average_1m_at_end": round(os.getloadavg()[0], 2),  # others' work on the machine
                "rate_per_s": args.rate,
                "seconds": args.seconds,
                "machine_cores": mp.cpu_count(),
                "database": "postgresql" if settings.is_postgres else "sqlite",
                "app_processes": app_processes(args.workers, settings.run_workers),
                "meli_default_per_minute": args.meli_per_minute or settings.meli_default_per_minute,
                "bare_endpoint": bare_result,
                "app": app_result,
                "app_work_during_its_window": progress,
                "ratio_p50": round(app_result["p50_ms"] / bare_result["p50_ms"], 2),
                "ratio_p99": round(app_result["p99_ms"] / bare_result["p99_ms"], 2),
                "goals": {"app_p99_ms": 10.0, "at_rate_per_s": 1000},  # issue 12
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
