"""The question path end to end: latency, CPU and counted work per answered question, at several rates.

Processes, besides this one (the load generator, buyers asking over HTTP):

* **the app**: `mostrador serve` as deployed on one machine (DBOS, dispatcher and workers on, SQLite in
  a temporary data directory), connected through OAuth to a seller, its bot answering on its own; run
  through `bench/app_probe.py`, which counts the transactions and SQL statements per database file;
* **the sandbox** in its own process, counting every request the app makes to it (user agent
  `mostrador-meli`) by endpoint, and every notification it delivers.

For each rate in `--rates`, buyers ask stock questions for `--seconds`; then the run waits for the
backlog to drain. Per phase it reports question → answer latency on the sandbox's clock (p50/p99),
whether the rate was sustained (drained within `SUSTAINED_DRAIN_S` of the last question), and per
answered question: app CPU (user + system, from /proc), DBOS workflows and steps (counted in DBOS's
system database), transactions and statements per database, HTTP calls to Mercado Libre by endpoint and
notifications received. `--profile DIR` records a py-spy flame graph (SVG) of the app per phase.

    .venv/bin/python bench/pipeline.py --rates 10,50,100 --seconds 20 --profile docs/profiles
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

GOALS = {"p50_ms_at_50_per_s": 150, "p99_ms_at_50_per_s": 500, "sustained_per_s": 100, "app_cpu_ms": 15}
SUSTAINED_DRAIN_S = 5.0  # a phase whose backlog drains within this after its last question kept up
QUESTIONS = ["Hola, tenés stock?", "hay disponible?", "Buenas, tienen stock de este?", "sigue disponible?"]
HERE = Path(__file__).parent


# ---- the sandbox, in its own process, counting what the app asks of it ----------------------------
def _family(path: str) -> str:
    """`/questions/123` → `/questions/{id}`: numbers and Mercado Libre ids folded away."""
    return re.sub(r"/(?:[A-Z]{3})?\d+", "/{id}", path.split("?", 1)[0])


def sandbox_process(port: int, conn: Connection) -> None:
    from mostrador.sandbox.app import create_app
    from mostrador.sandbox.config import SandboxConfig
    from mostrador.sandbox.server import BackgroundServer

    app = create_app(SandboxConfig(public_url=f"http://127.0.0.1:{port}", seed=7))
    calls: Counter[str] = Counter()

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            if scope["path"] == "/_bench/calls":
                body = json.dumps(dict(calls)).encode()
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await send({"type": "http.response.body", "body": body})
                return
            agent = dict(scope["headers"]).get(b"user-agent", b"")
            if agent.startswith(b"mostrador-meli"):
                calls[f"{scope['method']} {_family(scope['path'])}"] += 1
        await app(scope, receive, send)

    server = BackgroundServer(counting, "127.0.0.1", port)
    server.start()
    conn.send("ready")
    conn.recv()  # any message (or EOF) ends it
    server.stop()


# ---- measuring --------------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def dbos_counts(dbos_url: str) -> dict[str, int]:
    """Workflows by name and steps (recorded operation outputs) so far."""
    from mostrador.settings import normalise_db_url

    engine = create_engine(normalise_db_url(dbos_url))
    with engine.connect() as conn:
        counts = {
            f"workflows:{name}": int(n)
            for name, n in conn.execute(text("SELECT name, count(*) FROM workflow_status GROUP BY name"))
        }
        counts["steps"] = int(conn.execute(text("SELECT count(*) FROM operation_outputs")).scalar_one())
    engine.dispose()
    return counts


def probe_counts(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {
        **{f"transactions:{db}": n for db, n in data["commits"].items()},
        **{f"statements:{db}": n for db, n in data["statements"].items()},
    }


def snapshot(ctx: dict[str, Any]) -> dict[str, float]:
    calls = httpx.get(f"{ctx['sandbox_url']}/_bench/calls", timeout=30).json()
    notifications = httpx.get(f"{ctx['sandbox_url']}/_sandbox/notifications", timeout=30).json()
    return {
        "cpu_s": cpu_seconds(ctx["pid"]),
        **dbos_counts(ctx["dbos_url"]),
        **probe_counts(ctx["probe"]),
        **{f"http:{k}": v for k, v in calls.items()},
        "notifications_delivered": sum(int(d["attempts"]) for d in notifications),
    }


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def answered(api: httpx.Client) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for entry in api.get("/_sandbox/log", params={"kind": "answers"}).json():
        found.setdefault(int(entry["question_id"]), []).append(entry)
    return found


def phase(ctx: dict[str, Any], rate: float, seconds: float, stall_s: float, profile: Path | None) -> dict:
    api: httpx.Client = ctx["api"]
    rng = random.Random(int(rate * 1000))
    spies = []
    spy_bin = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if profile is not None and Path(spy_bin).exists():
        # A flame graph to look at, and the same samples as collapsed stacks to add up (`--raw`).
        profile.mkdir(parents=True, exist_ok=True)
        name = profile / f"question-path-{int(rate)}qps"
        formats = [("flamegraph", ".svg"), ("raw", ".txt")] if ctx["raw"] else [("flamegraph", ".svg")]
        for fmt, suffix in formats:
            out = f"{name}{suffix}"
            spies.append(
                subprocess.Popen(
                    [spy_bin, "record", "--pid", str(ctx["pid"]), "--rate", "100", "-f", fmt, "-o", out],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        time.sleep(1.0)  # attached before the first question
    before = snapshot(ctx)
    asked: list[int] = []
    count = max(1, int(rate * seconds))
    started = time.monotonic()
    for n in range(count):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        buyer = rng.choice(ctx["buyers"])
        r = api.post(
            "/questions",
            json={"item_id": rng.choice(ctx["items"]), "text": rng.choice(QUESTIONS)},
            headers={"Authorization": f"Bearer {buyer['access_token']}"},
        )
        r.raise_for_status()
        asked.append(int(r.json()["id"]))
    asking_s = time.monotonic() - started
    last_asked = time.monotonic()
    found: dict[int, list[dict[str, Any]]] = {}
    progress_at, progress = time.monotonic(), -1
    while time.monotonic() - progress_at < stall_s:
        found = answered(api)
        done = sum(1 for q in asked if q in found)
        if done == len(asked):
            break
        if done > progress:
            progress_at, progress = time.monotonic(), done
        time.sleep(0.1)
    drain_s = time.monotonic() - last_asked
    time.sleep(1.5)  # the "answered" notifications and their workflows finish too
    after = snapshot(ctx)
    for spy in spies:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
    waits = sorted(
        (_ts(found[q][0]["answered_at"]) - _ts(found[q][0]["question_created_at"])) * 1000
        for q in asked
        if q in found
    )
    n_answered = len(waits)
    per_question = {
        key: round((after.get(key, 0) - before.get(key, 0)) / max(n_answered, 1), 2)
        for key in sorted(set(after) | set(before))
        if key != "cpu_s" and after.get(key, 0) != before.get(key, 0)
    }
    return {
        "rate_per_s": rate,
        "asked": len(asked),
        "asking_took_s": round(asking_s, 1),
        "answered": n_answered,
        "answered_twice": sum(1 for q in asked if len(found.get(q, [])) > 1),
        "p50_ms": round(statistics.median(waits), 1) if waits else None,
        "p99_ms": round(waits[max(0, int(len(waits) * 0.99) - 1)], 1) if waits else None,
        "drain_after_last_question_s": round(drain_s, 1),
        "sustained": n_answered == len(asked) and drain_s <= SUSTAINED_DRAIN_S,
        "app_cpu_ms_per_question": round(1000 * (after["cpu_s"] - before["cpu_s"]) / max(n_answered, 1), 1),
        "per_question": per_question,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", default="10,50,100", help="questions per second, one phase each")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--stall-s", type=float, default=30.0, help="stop waiting after no progress")
    parser.add_argument("--profile", type=Path, default=None, help="write py-spy SVGs here")
    parser.add_argument("--raw", action="store_true", help="also keep the samples as collapsed stacks")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]

    from mostrador.cli.demo import (
        DEMO_EMAIL,
        _create_admin,
        child_process_settings,
        connect_seller_via_oauth,
        setup_sandbox,
    )
    from mostrador.cli.servers import ChildApp, free_port
    from mostrador.context import build_context

    sandbox_port, app_port = free_port(), free_port()
    sandbox_url, app_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{app_port}"
    parent, child = mp.Pipe()
    sandbox = mp.get_context("spawn").Process(target=sandbox_process, args=(sandbox_port, child))
    sandbox.start()
    assert parent.recv() == "ready"
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        world = setup_sandbox(sandbox_url, app_url, "MLA")
        settings, env = child_process_settings(
            app_url,
            sandbox_url,
            world["app"],
            Path(f"{tmp}/data"),
            executor_id="bench-pipeline",
            sweep_interval_s="60",
            log_level="ERROR",
        )
        password = secrets.token_urlsafe(12)
        _create_admin(settings, password)
        build_context(settings).bots.warm()  # the stored model, as a restarted worker finds it
        probe = Path(f"{tmp}/probe.json")
        app = ChildApp(env, app_port, f"{tmp}/app.log")
        _start(app, [sys.executable, str(HERE / "app_probe.py"), str(probe)])
        try:
            connect_seller_via_oauth(app_url, DEMO_EMAIL, password, world["seller"])
            api = httpx.Client(base_url=sandbox_url, timeout=30)
            auth = {"Authorization": f"Bearer {world['seller']['access_token']}"}
            items = [
                i for i in world["items"] if not api.get(f"/items/{i}", headers=auth).json().get("variations")
            ]
            for item_id in items:
                api.put(f"/items/{item_id}", json={"available_quantity": 5000}, headers=auth)
            buyers = [
                api.post(
                    "/_sandbox/users", json={"nickname": f"B{i}", "site_id": "MLA", "role": "buyer"}
                ).json()
                for i in range(50)
            ]
            assert app.proc is not None
            ctx = {
                "api": api,
                "pid": app.proc.pid,
                "sandbox_url": sandbox_url,
                "dbos_url": settings.resolved_dbos_url,
                "probe": probe,
                "items": items,
                "buyers": buyers,
                "raw": args.raw,
            }
            phase(ctx, 5, 2, args.stall_s, None)  # warm-up: first model load, connection pools
            for rate in rates:
                results.append(phase(ctx, rate, args.seconds, args.stall_s, args.profile))
            api.close()
        finally:
            app.stop()
            parent.send(None)
            sandbox.join(timeout=30)
    sustained = [r["rate_per_s"] for r in results if r["sustained"]]
    result = {
        "benchmark": "pipeline",
        "database": "sqlite",
        "phases": results,
        "highest_sustained_rate_per_s": max(sustained) if sustained else None,
        "goals": GOALS,
        "cpu_count": os.cpu_count(),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
    }
    text_out = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text_out + "\n")
    print(text_out)


def _start(app: Any, command: list[str], timeout: float = 60.0) -> None:
    """`ChildApp.start` with the probe in front of the CLI."""
    with open(app.log_path, "ab") as out:
        app.proc = subprocess.Popen(
            [*command, "serve", "--port", str(app.port)], env=app.env, stdout=out, stderr=out
        )
    deadline = time.monotonic() + timeout
    while True:
        if app.proc.poll() is not None:
            sys.exit(Path(app.log_path).read_text()[-3000:])
        try:
            if httpx.get(f"{app.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            sys.exit("the app did not start")
        time.sleep(0.2)


if __name__ == "__main__":
    main()
