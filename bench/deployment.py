"""The product as deployed, for the benchmarks: the sandbox in its own process and `mostrador serve` (and
`mostrador worker` processes) as children, over loopback HTTP. Shared by pipeline.py, soak.py,
pg_workers.py, memory.py and day.py, so that each measures the same deployment.

* `sandbox_process()`: the sandbox (Mercado Libre's emulator) in a spawned process. Besides the sandbox's
  own API it answers two bench-only routes: `GET /_bench/calls` (requests the app made to it, by method
  and endpoint family, told apart by the app's user agent `mostrador-meli`) and `POST /_bench/sellers`
  (many sellers at once, each with one listing and a grant to the app, straight into the sandbox's state:
  ten thousand sellers through the public API would take minutes).
* `deployed()`: a fresh app connected to a seller through OAuth (the demo's path: admin, login,
  consent, bot on its own), buyers, listings with stock; SQLite in a temporary data directory, or a
  fresh database on the PostgreSQL server of `MOSTRADOR_TEST_DATABASE_URL`.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import random
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

QUESTIONS = ["Hola, tenés stock?", "hay disponible?", "Buenas, tienen stock de este?", "sigue disponible?"]
HERE = Path(__file__).parent


# ---- the sandbox, in its own process ---------------------------------------------------------------
def family(path: str) -> str:
    """`/questions/123` → `/questions/{id}`: numbers and Mercado Libre ids folded away."""
    return re.sub(r"/(?:[A-Z]{3})?\d+", "/{id}", path.split("?", 1)[0])


def _bulk_sellers(app: Any, body: dict[str, Any]) -> list[dict[str, Any]]:
    """`count` sellers, each with one listing (`quantity` in stock) and a token pair for app `app_id`."""
    from mostrador.sandbox.catalog import demo_listings
    from mostrador.sandbox.items import create_item
    from mostrador.sandbox.oauth import grant_for, issue_pair
    from mostrador.sandbox.state import User

    state = app.state.sandbox
    registered = state.apps[int(body["app_id"])]
    listing = next(b for b in demo_listings("MLA") if not b.get("variations"))
    out = []
    for n in range(int(body["count"])):
        user_id = state.ids.user_id()
        seller = User(
            id=user_id,
            nickname=f"{body.get('prefix', 'BENCH')}{n}",
            site_id="MLA",
            role="seller",
            password=state.ids.password(),
            registration_ts=state.now(),
            email=f"test_user_{user_id}@testuser.com",
        )
        state.users[user_id] = seller
        item = create_item(state, seller, {**listing, "available_quantity": int(body.get("quantity", 1000))})
        pair = issue_pair(state, grant_for(state, registered, user_id))
        out.append({"id": user_id, "nickname": seller.nickname, "item_id": item.id, "tokens": pair})
    return out


def sandbox_process(port: int, seed: int, conn: Connection) -> None:
    from mostrador.sandbox.app import create_app
    from mostrador.sandbox.config import SandboxConfig
    from mostrador.sandbox.server import BackgroundServer

    app = create_app(SandboxConfig(public_url=f"http://127.0.0.1:{port}", seed=seed))
    calls: Counter[str] = Counter()

    async def reply(send: Any, data: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": json.dumps(data).encode()})

    async def bench_routes(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            if scope["path"] == "/_bench/calls":
                await reply(send, dict(calls))
                return
            if scope["path"] == "/_bench/sellers":
                raw = b""
                while True:
                    message = await receive()
                    raw += message.get("body", b"")
                    if not message.get("more_body"):
                        break
                await reply(send, _bulk_sellers(app, json.loads(raw)))
                return
            agent = dict(scope["headers"]).get(b"user-agent", b"")
            if agent.startswith(b"mostrador-meli"):
                calls[f"{scope['method']} {family(scope['path'])}"] += 1
        await app(scope, receive, send)

    server = BackgroundServer(bench_routes, "127.0.0.1", port)
    server.start()
    conn.send("ready")
    conn.recv()  # any message (or EOF) ends it
    server.stop()


@dataclass
class Sandbox:
    url: str
    api: httpx.Client

    def calls(self) -> dict[str, int]:
        return dict(self.api.get("/_bench/calls").json())

    def answers(self) -> dict[int, list[dict[str, Any]]]:
        """Every answer the sandbox received, per question (a second entry means answered twice)."""
        found: dict[int, list[dict[str, Any]]] = {}
        for entry in self.api.get("/_sandbox/log", params={"kind": "answers"}).json():
            found.setdefault(int(entry["question_id"]), []).append(entry)
        return found

    def faults(self, settings: dict[str, Any]) -> None:
        self.api.put("/_sandbox/faults", json=settings).raise_for_status()


@contextlib.contextmanager
def running_sandbox(seed: int = 7) -> Iterator[Sandbox]:
    """The sandbox in a spawned process of its own (its CPU is not the app's, nor the load generator's)."""
    from mostrador.cli.servers import free_port

    port = free_port()
    parent, child = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=sandbox_process, args=(port, seed, child), daemon=True)
    proc.start()
    if parent.recv() != "ready":
        raise RuntimeError("the sandbox did not start")
    url = f"http://127.0.0.1:{port}"
    api = httpx.Client(base_url=url, timeout=120)
    try:
        yield Sandbox(url, api)
    finally:
        api.close()
        parent.send(None)
        proc.join(timeout=30)


# ---- measuring --------------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (Linux): a cost that machine noise barely moves."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kb(pid: int) -> dict[str, int]:
    """Resident set now (`VmRSS`) and its peak so far (`VmHWM`), in kB, from /proc."""
    found = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    except OSError:
        pass
    return found


def ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def wait_ms(entry: dict[str, Any]) -> float:
    """Question → answer on the sandbox's clock."""
    return (ts(entry["answered_at"]) - ts(entry["question_created_at"])) * 1000


def percentile(values: list[float], share: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[max(0, int(len(ordered) * share) - 1)], 1) if ordered else None


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def emit(result: dict[str, Any], path: str | None) -> None:
    """Print a benchmark's JSON, and keep it in `path` when given (`--out`)."""
    out = json.dumps(result, indent=2)
    if path:
        with open(path, "w") as f:
            f.write(out + "\n")
    print(out)


def fresh_pg_database(base_url: str, prefix: str = "bench") -> str:
    """A new database on the PostgreSQL server, so runs never share rows."""
    from mostrador.settings import normalise_db_url

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_db_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{normalise_db_url(base_url).rpartition('/')[0]}/{name}"


# ---- the app ----------------------------------------------------------------------------------------
_models: list[str] = []


def model_cache() -> str:
    """One directory of trained bot models for every deployment of this bench process (training costs
    seconds of CPU per fresh data directory; loading a stored model, milliseconds)."""
    if not _models:
        import atexit
        import shutil
        import tempfile

        _models.append(tempfile.mkdtemp(prefix="bench-models-"))
        atexit.register(shutil.rmtree, _models[0], True)
    return _models[0]


@dataclass
class Deployment:
    """A running app connected to one seller of `sandbox`, with listings in stock and buyers to ask."""

    sandbox: Sandbox
    app: Any  # mostrador.cli.servers.ChildApp
    settings: Any  # mostrador.settings.Settings
    env: dict[str, str]
    world: dict[str, Any]
    password: str
    tmp: Path
    probe: Path | None
    items: list[str] = field(default_factory=list)
    buyers: list[dict[str, Any]] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def pid(self) -> int:
        assert self.app.proc is not None
        return int(self.app.proc.pid)

    def pids(self) -> list[int]:
        """The app's processes: the web process and every worker."""
        return [self.pid, *(w.pid for w in self.workers)]

    def ask(self, rng: random.Random, item_id: str | None = None) -> int:
        """A buyer asks a stock question (retrying the sandbox's injected 5xx/429, as buyers do)."""
        buyer = rng.choice(self.buyers)
        while True:
            r = self.sandbox.api.post(
                "/questions",
                json={"item_id": item_id or rng.choice(self.items), "text": rng.choice(QUESTIONS)},
                headers={"Authorization": f"Bearer {buyer['access_token']}"},
            )
            if r.status_code < 500 and r.status_code != 429:
                r.raise_for_status()
                return int(r.json()["id"])
            time.sleep(0.05)

    def spawn_workers(self, count: int) -> None:
        """`mostrador worker` processes sharing the app's settings (PostgreSQL), up before returning."""
        from mostrador.cli.servers import ChildApp, free_port

        ports = [free_port() for _ in range(count)]
        for i, port in enumerate(ports):
            self.workers.append(self.app.spawn_worker(f"bench-worker-{i + 1}", metrics_port=port))
        for port in ports:
            ChildApp.wait_until_ready(port)

    def log_in(self, client: httpx.Client) -> None:
        """Log `client` into the inbox as the demo admin (the login form, its CSRF token)."""
        from mostrador.cli.demo import DEMO_EMAIL

        page = client.get(f"{self.app.url}/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None, page.text[:300]
        r = client.post(
            f"{self.app.url}/login",
            data={"email": DEMO_EMAIL, "password": self.password, "csrf_token": csrf.group(1)},
        )
        if r.status_code != 303:
            raise RuntimeError(f"login failed: {r.status_code}")

    def stop(self) -> None:
        for proc in self.workers:
            proc.terminate()
        for proc in self.workers:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.app.stop()


def start_app(app: Any, probe: Path | None, timeout: float = 120.0) -> None:
    """`ChildApp.start`, with `bench/app_probe.py` in front of the CLI when `probe` names its file."""
    if probe is None:
        app.start(timeout=timeout)
        return
    with open(app.log_path, "ab") as out:
        app.proc = subprocess.Popen(
            [sys.executable, str(HERE / "app_probe.py"), str(probe), "serve", "--port", str(app.port)],
            env=app.env,
            stdout=out,
            stderr=out,
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


@contextlib.contextmanager
def deployed(
    sandbox: Sandbox,
    *,
    executor_id: str,
    probe: bool = False,
    postgres: bool = False,
    stock: int = 5000,
    buyers: int = 50,
    env: dict[str, str] | None = None,
) -> Iterator[Deployment]:
    """A fresh app (its own data directory; on PostgreSQL its own database) connected to a new seller.

    `env` adds `MOSTRADOR_*` settings (lower-case names, as `child_process_settings` takes them)."""
    import tempfile

    from mostrador.cli.demo import (
        DEMO_EMAIL,
        _create_admin,
        child_process_settings,
        connect_seller_via_oauth,
        setup_sandbox,
    )
    from mostrador.cli.servers import ChildApp, free_port
    from mostrador.context import build_context

    extra = {
        "sweep_interval_s": "60",
        "log_level": "ERROR",
        "cache_dir": model_cache(),
        **(env or {}),
        "executor_id": executor_id,
    }
    if postgres:
        base = os.environ.get("MOSTRADOR_TEST_DATABASE_URL")
        if not base:
            raise SystemExit("PostgreSQL: set MOSTRADOR_TEST_DATABASE_URL (scripts/with-postgres.sh does)")
        extra["database_url"] = fresh_pg_database(base)
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        port = free_port()
        app_url = f"http://127.0.0.1:{port}"
        sandbox.api.post(
            "/_sandbox/reset"
        ).raise_for_status()  # a fresh world: the demo seller's name is free
        world = setup_sandbox(sandbox.url, app_url, "MLA")
        settings, child_env = child_process_settings(
            app_url, sandbox.url, world["app"], tmp / "data", **extra
        )
        settings = settings.model_copy(update={"cache_dir": Path(extra["cache_dir"])})
        password = secrets.token_urlsafe(12)
        _create_admin(settings, password)
        ctx = build_context(settings)
        ctx.bots.warm()  # the stored model, as a restarted worker finds it
        ctx.engine.dispose()
        app = ChildApp(child_env, port, str(tmp / "app.log"))
        probe_path = tmp / "probe.json" if probe else None
        start_app(app, probe_path)
        dep = Deployment(sandbox, app, settings, child_env, world, password, tmp, probe_path)
        try:
            connect_seller_via_oauth(app_url, DEMO_EMAIL, password, world["seller"])
            auth = {"Authorization": f"Bearer {world['seller']['access_token']}"}
            api = sandbox.api
            dep.items = [
                i for i in world["items"] if not api.get(f"/items/{i}", headers=auth).json().get("variations")
            ]
            for item_id in dep.items:
                api.put(f"/items/{item_id}", json={"available_quantity": stock}, headers=auth)
            tag = uuid.uuid4().hex[:6].upper()
            dep.buyers = [
                api.post(
                    "/_sandbox/users", json={"nickname": f"B{tag}{i}", "site_id": "MLA", "role": "buyer"}
                ).json()
                for i in range(buyers)
            ]
            yield dep
        except BaseException:
            for log in sorted(tmp.glob("app.log*")):  # what the app said, before the directory goes
                sys.stderr.write(f"--- {log.name} (tail)\n{log.read_text(errors='replace')[-4000:]}\n")
            raise
        finally:
            dep.stop()
