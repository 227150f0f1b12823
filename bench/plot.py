"""Plots for docs/benchmarks.md from `bench/pipeline.py --out` files (matplotlib, PNG).

    .venv/bin/python bench/plot.py --before docs/profiles/pipeline-before.json \
        --after docs/profiles/pipeline-after.json --rates docs/profiles/pipeline-quick.json \
        --out docs/profiles

Writes `question-path-counts.png` (work per answered question, before and after the cuts, at the first
phase's rate) and `question-path-latency.png` (p50/p99 and CPU per question against the rate, with the
issue-12 goals drawn in).
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
    fig.tight_layout()
    fig.savefig(out / "question-path-counts.png", dpi=110)
    plt.close(fig)


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
    fig.tight_layout()
    fig.savefig(out / "question-path-latency.png", dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--rates", type=Path, required=True, help="a run with several rates")
    parser.add_argument("--out", type=Path, default=Path("docs/profiles"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    counts_plot(json.loads(args.before.read_text()), json.loads(args.after.read_text()), args.out)
    latency_plot(json.loads(args.rates.read_text()), args.out)


if __name__ == "__main__":
    main()
