"""Benchmark of the bot on one core: classifications per second and decision latency (p50/p99).

Prints one JSON object. The baseline, measured in the same run, is normalisation plus a trivial keyword
matcher (the lexicon alone), so the ratio shows what the trained model costs on top of it.
Run: .venv/bin/python bench/bot.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from mostrador.bot import Bot, BotConfig
from mostrador.bot.classify import classify_with, shared_models
from mostrador.bot.intents import builtin_lexicon
from mostrador.bot.normalize import normalize
from mostrador.bot.sources import labelled_questions

ROOT = Path(__file__).resolve().parents[1]


def questions() -> list[str]:
    return [q.text for q in labelled_questions()]


def rate(function, texts: list[str], seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for text in texts:
            function(text)
        done += len(texts)
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    texts = questions()
    started = time.perf_counter()
    model = shared_models().get([])
    training_seconds = time.perf_counter() - started
    lexicon = builtin_lexicon()

    def baseline(text: str) -> list[str]:
        return lexicon.hits(normalize(text).folded)

    def model_classify(text: str) -> list[str]:
        return classify_with(model, text).intents

    baseline_rate = rate(baseline, texts, args.seconds)
    classify_rate = rate(model_classify, texts, args.seconds)

    item = json.loads(
        (ROOT / "tests" / "fixtures" / "bot" / "items" / "sneakers_variations.json").read_text()
    )
    bot = Bot(BotConfig(facts={"invoice": {"issues": True}, "pickup": {"allowed": False}}))
    now = datetime(2025, 11, 12, 18, 0, tzinfo=UTC)
    latencies = []
    deadline = time.perf_counter() + args.seconds
    while time.perf_counter() < deadline:
        for text in texts:
            t0 = time.perf_counter()
            bot.decide(text, item=item, now=now)
            latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    result = {
        "questions": len(texts),
        "training_seconds": round(training_seconds, 2),
        "classifications_per_second": round(classify_rate),
        "baseline_keyword_matcher_per_second": round(baseline_rate),
        "model_cost_vs_baseline": round(baseline_rate / classify_rate, 2),
        "decisions": len(latencies),
        "decision_ms_p50": round(statistics.median(latencies), 3),
        "decision_ms_p99": round(latencies[int(len(latencies) * 0.99) - 1], 3),
        "goals": {"classifications_per_second": 2000, "decision_ms_p99": 5.0},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
