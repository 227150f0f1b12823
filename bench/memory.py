"""Resident memory of the app with many stored conversations (issue 12: ≤ 250 MB at 100,000).

1. A deployment as `bench/deployment.py` makes it (`mostrador serve`, DBOS on, SQLite; the sandbox in its
   own process), connected through OAuth to a seller. **Baseline**, measured in the same run: the app's
   peak resident set after logging in and opening the inbox with nothing stored.
2. The app stops; `--conversations` conversations are seeded into the seller's workspace and account in
   bulk, straight into the product's tables through its own models (`bench/inbox_list.py`'s seeder:
   question threads of 1–5 buyer questions with their answers as `messages` rows, a tenth of them
   post-sale chats of 2–6 messages), and the per-thread waiting figures are recounted as the product's
   commit hook keeps them. Not through the workflows: a hundred thousand answered questions would take
   hours here.
3. The app starts again; logged in, it serves the inbox list (first page, its htmx fragment, page 2, a
   deep page, the agent tab, the post-sale tab), a few conversation pages and the REST list, and then
   live traffic: buyers ask `--questions` stock questions at `--rate`/s, answered by the bot.

Reported: the web process's peak resident set (`VmHWM` from /proc: the kernel's own high-water mark,
nothing missed between samples), its resident set after each step, and the baseline.

    .venv/bin/python bench/memory.py --conversations 100000
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from deployment import Deployment, deployed, emit, load_average, memory_kb, running_sandbox
from inbox_list import Seeder, answers_channel, chat_channel, recount_waiting
from sqlalchemy import func, select

GOAL_MB = 250


def mb(kb: int | None) -> float | None:
    return round(kb / 1024, 1) if kb is not None else None


def seed(dep: Deployment, conversations: int) -> dict[str, Any]:
    """Bulk rows into the connected seller's workspace and account, ids after those already there."""
    from mostrador.context import build_context
    from mostrador.store.models import Account, Contact, ContactIdentity, Conversation, Message

    ctx = build_context(dep.settings)
    started = time.perf_counter()
    with ctx.engine.connect() as conn:
        account_id, workspace_id = conn.execute(select(Account.id, Account.workspace_id)).one()
        first_ids = {
            table.__tablename__: int(conn.execute(select(func.coalesce(func.max(table.id), 0))).scalar_one())
            for table in (Contact, ContactIdentity, Conversation, Message)
        }
    seeder = Seeder(ctx.engine, datetime.now(UTC), seed=42)
    seeder.ids.update(first_ids)
    chats = conversations // 10
    counts = seeder.threads(workspace_id, [account_id], conversations - chats, chats)
    waiting = recount_waiting(ctx.engine, ctx.sessions)
    ctx.engine.dispose()
    return {**counts, "waiting_figures": waiting, "seconds": round(time.perf_counter() - started, 1)}


def pages(dep: Deployment, client: httpx.Client) -> dict[str, Any]:
    """The inbox as agents use it: status and size per page."""
    from mostrador.context import build_context
    from mostrador.store.models import Conversation

    ctx = build_context(dep.settings)
    with ctx.engine.connect() as conn:
        # Question threads: the seeder's post-sale chats carry no real pack id for the page to look up.
        ids = list(
            conn.execute(
                select(Conversation.id)
                .where(Conversation.channel == answers_channel())
                .order_by(Conversation.id.desc())
                .limit(3)
            ).scalars()
        )
    ctx.engine.dispose()
    urls = [
        "/inbox",
        "/inbox?page=2",
        "/inbox?page=100",
        "/inbox?owner=agent",
        f"/inbox?channel={chat_channel()}",
        f"/inbox?channel={answers_channel()}",
        *(f"/inbox/{i}" for i in ids),
    ]
    seen: dict[str, Any] = {}
    for url in urls:
        r = client.get(f"{dep.app.url}{url}")
        seen[url] = {"status": r.status_code, "bytes": len(r.content)}
    r = client.get(f"{dep.app.url}/inbox", headers={"hx-request": "true"})
    seen["/inbox (htmx fragment)"] = {"status": r.status_code, "bytes": len(r.content)}
    return seen


def live(dep: Deployment, questions: int, rate: float, stall_s: float) -> dict[str, Any]:
    rng = random.Random(7)
    started = time.monotonic()
    asked = []
    for n in range(questions):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        asked.append(dep.ask(rng))
    progress_at, done = time.monotonic(), -1
    answers: dict[int, list[dict[str, Any]]] = {}
    while time.monotonic() - progress_at < stall_s:
        answers = dep.sandbox.answers()
        n = sum(1 for q in asked if q in answers)
        if n == len(asked):
            break
        if n > done:
            progress_at, done = time.monotonic(), n
        time.sleep(0.5)
    return {
        "asked": len(asked),
        "answered": sum(1 for q in asked if q in answers),
        "answered_twice": sum(1 for q in asked if len(answers.get(q, [])) > 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=100_000, help="seeded conversations")
    parser.add_argument("--questions", type=int, default=50, help="live questions after the pages")
    parser.add_argument("--rate", type=float, default=5.0, help="live questions per second")
    parser.add_argument("--stall-s", type=float, default=60.0)
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    steps: dict[str, Any] = {}
    with running_sandbox() as sandbox, deployed(sandbox, executor_id="bench-memory") as dep:
        with httpx.Client(timeout=120) as client:
            dep.log_in(client)
            pages(dep, client)
        baseline = memory_kb(dep.pid)
        dep.app.stop()
        seeded = seed(dep, args.conversations)
        dep.app.start(timeout=120)
        steps["started"] = mb(memory_kb(dep.pid).get("VmRSS"))
        with httpx.Client(timeout=120) as client:
            dep.log_in(client)
            sizes = pages(dep, client)
            steps["after_pages"] = mb(memory_kb(dep.pid).get("VmRSS"))
            pages(dep, client)  # a second agent's round: caches filled, nothing grows per view
            steps["after_second_round"] = mb(memory_kb(dep.pid).get("VmRSS"))
        traffic = live(dep, args.questions, args.rate, args.stall_s)
        steps["after_live_traffic"] = mb(memory_kb(dep.pid).get("VmRSS"))
        peak = memory_kb(dep.pid).get("VmHWM")
    result = {
        "benchmark": "memory",
        "database": "sqlite",
        "seeded": seeded,
        "pages": sizes,
        "live_traffic": traffic,
        "rss_mb_by_step": steps,
        "peak_rss_mb": mb(peak),
        "baseline_empty_peak_rss_mb": mb(baseline.get("VmHWM")),
        "goals": {"peak_rss_mb": GOAL_MB},
        "goal_met": peak is not None and peak / 1024 <= GOAL_MB,
        "cpu_count": os.cpu_count(),
        "load_average_1m_at_end": load_average(),
    }
    emit(result, args.out)


if __name__ == "__main__":
    main()
