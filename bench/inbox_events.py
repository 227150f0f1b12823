"""Inbox events benchmark: 200 agents with the inbox open, each on its own `GET /inbox/events` stream over
real HTTP on loopback, against the app as it runs (`mostrador serve`: DBOS, dispatcher and workers on;
SQLite in a temporary data directory, PostgreSQL when MOSTRADOR_TEST_DATABASE_URL is set).

Processes, besides this one (the agents and the writers): the app, and the sandbox (the Mercado Libre
emulator) with the seller the app is connected to through the real OAuth flow. The agents are
`--agents` users of the seller's workspace, each logged in through the login form; each stream is read
by a small client on its own connection (httpx's own cost at this scale would be what we measure).

Phases, in order, all in one run:

1. **idle**: every stream open, nothing written, for `--seconds`: the app's CPU for keep-alives and its
   reader's polls (the cost of holding the connections).
2. **written by another process**: this process inserts rows into `events` at `--rate` per second for
   `--seconds`, as another web or worker process would; the app's reader finds them by polling
   (MOSTRADOR_INBOX_EVENTS_POLL_S) and fans them out.
3. **written by the app**: buyers ask questions in the sandbox at `--questions-rate` per second; the
   app's workflow records each question, the bot's answer and its send, and every one of those events
   comes from the app's own commits (the reader is woken at once).
4. **baseline**: phase 2 again with a single stream open: the same writes and polls without the fan-out.

Latency is from the event's `created_at` (set by the writer just before its commit) to the moment a
client read the event, per client and event. CPU is the app process's user + system time (/proc) over
the phase, per event written. "Connections held" counts the streams still open at the end and whether
each one received every event of its workspace. Prints JSON.

    .venv/bin/python bench/inbox_events.py --agents 200 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, select, text

POLL_S_DEFAULT = None  # the app's own default (MOSTRADOR_INBOX_EVENTS_POLL_S)
LATENCY_GOAL_P99_MS = 1_000.0  # an agent sees a change within a second (issue 11: "live")


# ---- the sandbox, in its own process ---------------------------------------------------------------
def sandbox_process(port: int, conn: Connection) -> None:
    from mostrador.sandbox.app import create_app
    from mostrador.sandbox.config import SandboxConfig
    from mostrador.sandbox.server import BackgroundServer

    server = BackgroundServer(
        create_app(SandboxConfig(public_url=f"http://127.0.0.1:{port}", seed=7)), "127.0.0.1", port
    )
    server.start()
    conn.send("ready")
    conn.recv()
    server.stop()


# ---- the agents' streams -------------------------------------------------------------------------------
class Agent:
    """One open stream, read by a minimal HTTP/1.1 client; records (event id, wall time read)."""

    def __init__(self, host: str, port: int, cookie: str) -> None:
        self.host, self.port, self.cookie = host, port, cookie
        self.heard: list[tuple[int, float]] = []
        self.ready = asyncio.Event()
        self.open = False
        self.task: asyncio.Task[None] | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.writer = writer
        writer.write(
            f"GET /inbox/events HTTP/1.1\r\nhost: {self.host}:{self.port}\r\ncookie: {self.cookie}\r\n"
            "accept: text/event-stream\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.decode(errors="replace")[:200])
        self.open = True
        event = ""
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                line = line.strip()
                if line.isalnum() or not line:  # chunk sizes and blank lines (chunked transfer encoding)
                    continue
                if line.startswith(b"event: "):
                    event = line[7:].decode()
                elif line.startswith(b"data: ") and event == "inbox":
                    self.heard.append((int(json.loads(line[6:])["id"]), time.time()))
                elif line.startswith(b"data: ") and event == "ready":
                    self.ready.set()
        finally:
            self.open = False

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def log_in(url: str, email: str, password: str) -> str:
    with httpx.Client(base_url=url, timeout=60) as c:
        page = c.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        r = c.post("/login", data={"email": email, "password": password, "csrf_token": csrf})
        assert r.status_code == 303, r.text
        return f"mostrador_session={c.cookies['mostrador_session']}"


# ---- measuring -----------------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, max(0, int(len(values) * p) - 1))], 1)


def latencies(agents: list[Agent], written: dict[int, float], ids: set[int]) -> dict[str, Any]:
    """Per (agent, event) delivery latency for the events `ids`, and who missed what."""
    values: list[float] = []
    complete = 0
    for agent in agents:
        got = {i: t for i, t in agent.heard if i in ids}
        complete += int(set(got) == ids)
        values += [(t - written[i]) * 1000 for i, t in got.items()]
    return {
        "events": len(ids),
        "deliveries": len(values),
        "streams_that_got_every_event": complete,
        "p50_ms": round(statistics.median(values), 1) if values else None,
        "p99_ms": percentile(values, 0.99) if values else None,
        "max_ms": round(max(values), 1) if values else None,
    }


class Feed:
    """The app's `events` table, read and written from outside (as another process of the app would)."""

    def __init__(self, url: str, workspace_id: int) -> None:
        from mostrador.settings import normalise_db_url

        self.engine = create_engine(normalise_db_url(url))
        self.workspace_id = workspace_id

    def max_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM events")).scalar() or 0)

    def write_one(self) -> None:
        from mostrador.store.models import Event

        with self.engine.begin() as conn:
            conn.execute(
                insert(Event).values(
                    workspace_id=self.workspace_id,
                    kind="message",
                    conversation_id=None,
                    data={"bench": True},
                    created_at=datetime.now(UTC),
                )
            )

    def written_after(self, after: int) -> dict[int, float]:
        from mostrador.store.models import Event

        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Event.id, Event.created_at).where(
                    Event.id > after, Event.workspace_id == self.workspace_id
                )
            ).all()
        return {int(i): _aware(at).timestamp() for i, at in rows}


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


async def at_rate(rate: float, seconds: float, job: Callable[[], Any]) -> int:
    """Run `job` (blocking) `rate` times a second for `seconds`, off the loop; returns how many ran."""
    loop = asyncio.get_running_loop()
    start, n, total = time.perf_counter(), 0, int(rate * seconds)
    with ThreadPoolExecutor(4) as pool:
        pending = []
        while n < total:
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(loop.run_in_executor(pool, job))
            n += 1
        await asyncio.gather(*pending)
    return n


async def settle(agents: list[Agent], ids: set[int], timeout_s: float = 30) -> None:
    """Wait until every open stream heard every event (or the timeout: then the JSON says who missed)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(ids <= {i for i, _ in a.heard} for a in agents if a.open):
            return
        await asyncio.sleep(0.1)


async def phases(
    args: argparse.Namespace, app_pid: int, url: str, cookies: list[str], feed: Feed, ask: Callable[[], Any]
) -> dict[str, Any]:
    parsed = httpx.URL(url)
    agents = [Agent(parsed.host, parsed.port or 80, cookie) for cookie in cookies]
    for agent in agents:
        agent.task = asyncio.create_task(agent.run())
    await asyncio.wait_for(asyncio.gather(*(a.ready.wait() for a in agents)), 120)
    out: dict[str, Any] = {"streams_opened": sum(a.open for a in agents), "app_open_fds": open_fds(app_pid)}

    before = cpu_seconds(app_pid)
    await asyncio.sleep(args.seconds)
    idle_cpu = cpu_seconds(app_pid) - before
    out["idle"] = {
        "seconds": args.seconds,
        "app_cpu_s": round(idle_cpu, 3),
        "app_cpu_share_of_a_core": round(idle_cpu / args.seconds, 4),
    }

    idle_rate = idle_cpu / args.seconds

    async def written_by_another_process(streams: list[Agent]) -> dict[str, Any]:
        start_id = await asyncio.to_thread(feed.max_id)
        before, started = cpu_seconds(app_pid), time.perf_counter()
        n = await at_rate(args.rate, args.seconds, feed.write_one)
        written = await asyncio.to_thread(feed.written_after, start_id)
        await settle(streams, set(written))
        cpu, wall = cpu_seconds(app_pid) - before, time.perf_counter() - started
        result = latencies(streams, written, set(written))
        result.update(
            streams=len([a for a in streams if a.open]),
            written=n,
            app_cpu_s=round(cpu, 3),
            app_cpu_ms_per_event=round(1000 * cpu / max(n, 1), 2),
            app_cpu_ms_per_event_above_idle=round(1000 * (cpu - idle_rate * wall) / max(n, 1), 2),
        )
        return result

    out["written_by_another_process"] = await written_by_another_process(agents)

    start_id = await asyncio.to_thread(feed.max_id)
    before = cpu_seconds(app_pid)
    asked = await at_rate(args.questions_rate, args.seconds, ask)
    await asyncio.sleep(args.drain_s)  # the workflows finish: bot answers, sends settle
    written = await asyncio.to_thread(feed.written_after, start_id)
    await settle(agents, set(written))
    cpu = cpu_seconds(app_pid) - before
    app_written = latencies(agents, written, set(written))
    app_written.update(
        questions=asked,
        app_cpu_s_including_the_workflows=round(cpu, 3),
        app_cpu_ms_per_event_including_the_workflows=round(1000 * cpu / max(len(written), 1), 2),
    )
    out["written_by_the_app"] = app_written
    out["connections_held_at_end"] = sum(a.open for a in agents)
    out["app_open_fds_at_end"] = open_fds(app_pid)

    for agent in agents[1:]:
        agent.close()
    await asyncio.sleep(1)
    out["baseline_one_stream"] = await written_by_another_process(agents[:1])
    agents[0].close()
    for agent in agents:
        if agent.task is not None:
            agent.task.cancel()
    await asyncio.gather(*(a.task for a in agents if a.task is not None), return_exceptions=True)
    return out


def fresh_pg_database(base_url: str) -> str:
    from mostrador.settings import normalise_db_url

    name = f"events_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_db_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{normalise_db_url(base_url).rpartition('/')[0]}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10, help="length of each phase")
    parser.add_argument("--rate", type=float, default=10, help="events per second written by another process")
    parser.add_argument("--questions-rate", type=float, default=1, help="questions per second (phase 3)")
    parser.add_argument("--drain-s", type=float, default=5, help="phase 3: wait for the workflows to finish")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()

    from mostrador.cli.demo import (
        DEMO_EMAIL,
        _create_admin,
        child_process_settings,
        connect_seller_via_oauth,
        setup_sandbox,
    )
    from mostrador.cli.servers import ChildApp, free_port
    from mostrador.context import build_context
    from mostrador.store import people as people_store
    from mostrador.store.db import transaction

    spawn = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        sandbox_port, app_port = free_port(), free_port()
        sandbox_url, app_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{app_port}"
        to_sandbox, sandbox_end = spawn.Pipe()
        sandbox = spawn.Process(target=sandbox_process, args=(sandbox_port, sandbox_end), daemon=True)
        sandbox.start()
        assert to_sandbox.recv() == "ready"
        world = setup_sandbox(sandbox_url, app_url, "MLA")
        with httpx.Client(base_url=sandbox_url, timeout=30) as api:
            buyer = api.post(
                "/_sandbox/users", json={"nickname": "BENCHBUYER", "site_id": "MLA", "role": "buyer"}
            ).json()
        extra = {"log_level": "ERROR"}
        if os.environ.get("MOSTRADOR_TEST_DATABASE_URL"):
            extra["database_url"] = fresh_pg_database(os.environ["MOSTRADOR_TEST_DATABASE_URL"])
        settings, env = child_process_settings(
            app_url, sandbox_url, world["app"], Path(f"{tmp}/data"), **extra
        )
        password = secrets.token_urlsafe(12)
        _create_admin(settings, password)
        ctx = build_context(settings)
        ctx.bots.warm()  # trained before the server starts: not in the measurement
        from mostrador.security.passwords import hash_password

        hashed = hash_password(password)
        with transaction(ctx.sessions) as s:
            ws = people_store.workspace_by_name(s, "Demo")
            assert ws is not None
            workspace_id = ws.id
            for i in range(1, args.agents):
                people_store.add_user(s, ws.id, f"agent{i}@bench.test", f"Agente {i}", hashed, "agent")
        app = ChildApp(env, app_port, f"{tmp}/app.log")
        app.start()
        assert app.proc is not None
        try:
            connect_seller_via_oauth(app_url, DEMO_EMAIL, password, world["seller"])
            emails = [DEMO_EMAIL, *(f"agent{i}@bench.test" for i in range(1, args.agents))]
            print(f"logging {len(emails)} agents in", file=sys.stderr, flush=True)
            with ThreadPoolExecutor(4) as pool:
                cookies = list(pool.map(lambda e: log_in(app_url, e, password), emails))
            feed = Feed(settings.resolved_database_url, workspace_id)
            items = world["items"]
            asked = [0]

            def ask() -> None:
                asked[0] += 1
                with httpx.Client(base_url=sandbox_url, timeout=30) as c:
                    c.post(
                        "/questions",
                        json={
                            "item_id": items[asked[0] % len(items)],
                            "text": f"Hola, tenés stock? ({asked[0]})",
                        },
                        headers={"Authorization": f"Bearer {buyer['access_token']}"},
                    ).raise_for_status()

            print("streams open; measuring", file=sys.stderr, flush=True)
            result = asyncio.run(phases(args, app.proc.pid, app_url, cookies, feed, ask))
        finally:
            app.stop()
            to_sandbox.send(None)
            sandbox.join(10)
            asyncio.run(ctx.aclose())
    report = {
        "benchmark": "inbox_events",
        "measured": (
            "GET /inbox/events streams of logged-in agents over loopback HTTP to `mostrador serve`; latency "
            "from an event's created_at (its writer, just before commit) to a client reading it; app CPU "
            "from /proc"
        ),
        "database": "postgresql" if settings.is_postgres else "sqlite",
        "machine_cores": mp.cpu_count(),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),  # others' work on the machine
        "agents": args.agents,
        "poll_interval_s": settings.inbox_events_poll_s,
        "goal": {"p99_ms": LATENCY_GOAL_P99_MS, "streams_held": args.agents},
        **result,
    }
    out = json.dumps(report, indent=2)
    print(out)
    if args.out:
        args.out.write_text(out + "\n")


if __name__ == "__main__":
    main()
