"""Plots for docs/benchmarks.md from the benchmarks' `--out` files (matplotlib, PNG).

    .venv/bin/python bench/plot.py --before docs/profiles/pipeline-before.json \
        --after docs/profiles/pipeline-after.json --rates docs/profiles/pipeline-quick.json \
        --pg-workers docs/profiles/pg-workers.json --memory docs/profiles/memory.json \
        --day docs/profiles/day.json --out docs/profiles

Writes, for the files given: `question-path-counts.png` (work per answered question, before and after
the cuts, at the first phase's rate), `question-path-latency.png` (p50/p99 and CPU per question against
the rate, with the issue-12 goals drawn in), `pg-workers.png` (answered questions/s per worker count
against linear scaling), `memory.png` (resident memory by step against the goal) and `day.png`
(questions asked and backlog over the simulated day, latency per simulated hour).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

COUNTS = [
    ("workflows:conversation_resource", "workflows"),
    ("steps", "steps"),
    ("http", "HTTP calls to\nMercado Libre"),
    ("transactions:mostrador.sqlite", "transactions\n(ours)"),
    ("transactions:dbos.sqlite", "transactions\n(DBOS)"),
]

QUESTION_CALLS = ("http:GET /questions/{id}", "http:GET /items/{id}", "http:POST /answers")


def _save(fig: Any, path: Path) -> None:
    """Every plot's last step: tight layout, 110 dpi PNG, the figure's memory released."""
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _count(phase: dict[str, Any], key: str) -> float:
    per = phase["per_question"]
    if key == "http":  # the question's own calls; sweeps and schedules left out
        return sum(float(per.get(k, 0.0)) for k in QUESTION_CALLS)
    return float(per.get(key, 0.0))


def counts_plot(before: dict[str, Any], after: dict[str, Any], out: Path) -> None:
    b, a = before["phases"][0], after["phases"][0]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [4, 1]})
    xs = range(len(COUNTS))
    left.bar([x - 0.2 for x in xs], [_count(b, k) for k, _ in COUNTS], 0.4, label="before", color="#bbbbbb")
    left.bar([x + 0.2 for x in xs], [_count(a, k) for k, _ in COUNTS], 0.4, label="after", color="#2a7ab0")
    left.set_xticks(list(xs), [label for _, label in COUNTS])
    left.set_ylabel("per answered question")
    left.legend()
    right.bar(
        [0, 1], [b["app_cpu_ms_per_question"], a["app_cpu_ms_per_question"]], color=["#bbbbbb", "#2a7ab0"]
    )
    right.axhline(15, color="#c0392b", linestyle="--", label="goal 15 ms")
    right.set_xticks([0, 1], ["before", "after"])
    right.set_ylabel("app CPU per question (ms)")
    right.legend()
    fig.suptitle(f"Question path at {b['rate_per_s']:.0f} questions/s (SQLite, 2 cores, shared machine)")
    _save(fig, out / "question-path-counts.png")


def latency_plot(run: dict[str, Any], out: Path) -> None:
    phases = run["phases"]
    rates = [p["rate_per_s"] for p in phases]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(rates, [p["p50_ms"] for p in phases], "o-", label="p50")
    left.plot(rates, [p["p99_ms"] for p in phases], "s-", label="p99")
    left.axhline(150, color="#c0392b", linestyle="--", label="goal p50 150 ms")
    left.axhline(500, color="#e67e22", linestyle=":", label="goal p99 500 ms")
    left.set_yscale("log")
    left.set_xlabel("questions per second asked")
    left.set_ylabel("question → answer (ms, sandbox clock)")
    left.legend(fontsize=8)
    right.plot(rates, [p["app_cpu_ms_per_question"] for p in phases], "o-", color="#2a7ab0")
    right.axhline(15, color="#c0392b", linestyle="--", label="goal 15 ms")
    right.set_xlabel("questions per second asked")
    right.set_ylabel("app CPU per answered question (ms)")
    right.set_ylim(bottom=0)
    right.legend(fontsize=8)
    fig.suptitle(f"bench/pipeline.py (load average {run.get('load_average_1m_at_end')} at the end)")
    _save(fig, out / "question-path-latency.png")


def pg_workers_plot(run: dict[str, Any], out: Path) -> None:
    runs = run["runs"]
    counts = [r["workers"] for r in runs]
    rates = [r["answered_per_s"] or 0 for r in runs]
    one = rates[counts.index(1)] if 1 in counts else rates[0] / counts[0]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.bar([str(n) for n in counts], rates, color="#2a7ab0", label="answered questions/s")
    ax.plot(
        [str(n) for n in counts], [one * n for n in counts], "o--", color="#888888", label="linear (N × one)"
    )
    ax.plot(
        [str(n) for n in counts],
        [one * 3 if n == 4 else None for n in counts],
        "_",
        ms=40,
        mew=2,
        color="#c0392b",
        label="goal at 4 workers (3 × one)",
    )
    for n, r in zip(counts, runs, strict=True):
        ax.annotate(
            f"{r['answered']}/{r['asked']}, twice {r['answered_twice']}",
            (str(n), r["answered_per_s"] or 0),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xlabel("mostrador worker processes")
    ax.set_ylabel("answered questions per second")
    ax.legend(fontsize=8)
    ax.set_title(
        f"PostgreSQL, Mercado Libre +{run['latency_ms_per_call']} ms per call, "
        f"{run['concurrency_per_worker']} at a time per worker\n"
        f"(load average {run['load_average_1m_at_end']})",
        fontsize=9,
    )
    _save(fig, out / "pg-workers.png")


def memory_plot(run: dict[str, Any], out: Path) -> None:
    steps = {
        "empty (baseline peak)": run["baseline_empty_peak_rss_mb"],
        **run["rss_mb_by_step"],
        "peak (VmHWM)": run["peak_rss_mb"],
    }
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(list(steps), list(steps.values()), color=["#bbbbbb", *["#2a7ab0"] * (len(steps) - 1)])
    ax.axhline(run["goals"]["peak_rss_mb"], color="#c0392b", linestyle="--", label="goal 250 MB")
    ax.set_ylabel("resident memory of mostrador serve (MB)")
    ax.tick_params(axis="x", labelsize=8, rotation=15)
    ax.legend(fontsize=8)
    ax.set_title(
        f"{run['seeded']['threads']:,} stored conversations, {run['seeded']['messages']:,} messages (SQLite)",
        fontsize=9,
    )
    _save(fig, out / "memory.png")


def day_plot(run: dict[str, Any], out: Path) -> None:
    samples = [s for s in run["timeline"] if "backlog" in s]
    hours = run["by_simulated_period"]
    width = run["period_minutes"] / 60
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    top.plot(
        [s["simulated_h"] for s in samples],
        [s["backlog"] for s in samples],
        color="#c0392b",
        label="backlog (asked, not yet answered)",
    )
    top.set_ylabel("backlog (questions)")
    top.legend(fontsize=8, loc="upper left")
    rate = top.twinx()
    rate.bar(
        [h["hour"] + width / 2 for h in hours],
        [h["per_real_s"] for h in hours],
        width * 0.9,
        color="#bbbbbb",
        alpha=0.6,
        label="questions asked per real second",
    )
    rate.set_ylabel("asked per real second")
    rate.legend(fontsize=8, loc="center left")
    bottom.plot([h["hour"] + width / 2 for h in hours], [h["p50_ms"] for h in hours], "o-", label="p50")
    bottom.plot([h["hour"] + width / 2 for h in hours], [h["p99_ms"] for h in hours], "s-", label="p99")
    bottom.axhline(150, color="#c0392b", linestyle="--", label="goal p50 150 ms")
    bottom.axhline(500, color="#e67e22", linestyle=":", label="goal p99 500 ms")
    bottom.set_yscale("log")
    bottom.set_xlabel("simulated hour of the day (past 24: the backlog draining after the day)")
    bottom.set_ylabel(f"question → answer (ms), per {run['period_minutes']:g} simulated min")
    bottom.set_xlim(0, max(24.0, max((s["simulated_h"] for s in samples), default=24.0)))
    bottom.legend(fontsize=8)
    scale = run["scale"]
    fig.suptitle(
        f"{scale['accounts']:,} accounts, {scale['questions']:,} questions "
        f"(÷{scale['questions_divided_by']:,.0f}), "
        f"a day in {scale['real_minutes']:g} min (×{scale['time_compressed_by']:.0f}); "
        f"load average {run['load_average_1m_at_end']}",
        fontsize=9,
    )
    _save(fig, out / "day.png")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", type=Path, help="pipeline.py before the cuts (with --after)")
    parser.add_argument("--after", type=Path, help="pipeline.py after the cuts")
    parser.add_argument("--rates", type=Path, help="a pipeline.py run with several rates")
    parser.add_argument("--pg-workers", type=Path, help="a pg_workers.py run")
    parser.add_argument("--memory", type=Path, help="a memory.py run")
    parser.add_argument("--day", type=Path, help="a day.py run")
    parser.add_argument("--out", type=Path, default=Path("docs/profiles"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    def load(path: Path) -> dict[str, Any]:
        return dict(json.loads(path.read_text()))

    if args.before and args.after:
        counts_plot(load(args.before), load(args.after), args.out)
    if args.rates:
        latency_plot(load(args.rates), args.out)
    if args.pg_workers:
        pg_workers_plot(load(args.pg_workers), args.out)
    if args.memory:
        memory_plot(load(args.memory), args.out)
    if args.day:
        day_plot(load(args.day), args.out)


if __name__ == "__main__":
    main()
