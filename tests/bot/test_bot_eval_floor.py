"""Regression floor on the labelled evaluation sets (never used for training)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mostrador.bot.classify import classify_with, shared_models
from mostrador.bot.evaluation import evaluate, read_labelled
from mostrador.bot.intents import builtin_phrases
from mostrador.bot.normalize import fold

EVAL = Path(__file__).resolve().parents[1] / "fixtures" / "bot"
# Measured micro-F1 minus 0.03 (see docs/bot.md); raise these when the model improves.
FLOORS = {"eval_es.jsonl": 0.93, "eval_pt.jsonl": 0.76}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_micro_f1_stays_above_the_measured_floor(name: str) -> None:
    model = shared_models().get([])
    questions = read_labelled(EVAL / name)
    report = evaluate(questions, lambda q: classify_with(model, q.text, q.lang).intents)  # type: ignore[arg-type]
    assert report.micro_f1 >= FLOORS[name], report.as_dict()


def test_evaluation_sets_are_large_labelled_and_disjoint_from_training() -> None:
    es, pt = read_labelled(EVAL / "eval_es.jsonl"), read_labelled(EVAL / "eval_pt.jsonl")
    assert len(es) >= 150 and len(pt) >= 400
    training = {fold(p.text).strip(" ?!.¿¡") for p in builtin_phrases()}
    overlap = [q.text for q in es + pt if fold(q.text).strip(" ?!.¿¡") in training]
    assert overlap == []
