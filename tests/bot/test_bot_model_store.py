"""Trained models kept on disk: loaded instead of retrained, never stale, robust to damaged files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mostrador.bot import model_store
from mostrador.bot.intents import TrainingPhrase
from mostrador.bot.model import ModelCache, phrases_key

QUESTIONS = ["tenés stock?", "tem na cor preta?", "hacen factura A?", "qual o frete para SP?"]


def test_a_second_process_loads_the_model_instead_of_training(tmp_path: Path) -> None:
    first = ModelCache(directory=tmp_path).get([])
    [stored] = list(tmp_path.glob("intent-model-*.npz"))
    written = stored.stat().st_mtime_ns
    second = ModelCache(directory=tmp_path).get([])
    assert second is not first
    assert stored.stat().st_mtime_ns == written, "a retrain would have rewritten the file"
    for text in QUESTIONS:
        assert second.scores(text) == first.scores(text)


def test_seller_phrases_get_their_own_file(tmp_path: Path) -> None:
    extra = [TrainingPhrase("me lo mandás envuelto para regalo?", frozenset({"product_details"}), "es")]
    ModelCache(directory=tmp_path).get([])
    ModelCache(directory=tmp_path).get(extra)
    names = sorted(p.name for p in tmp_path.glob("*.npz"))
    assert len(names) == 2
    assert model_store.model_path(tmp_path, phrases_key(extra)).name in names


def test_a_damaged_file_is_retrained_and_replaced(tmp_path: Path) -> None:
    path = model_store.model_path(tmp_path, phrases_key([]))
    path.write_bytes(b"not a model")
    model = ModelCache(directory=tmp_path).get([])
    assert model.scores("tenés stock?")["availability"] > 0.5
    assert model_store.load(path) is not None


def test_a_stored_model_answers_without_importing_scikit_learn_or_scipy(tmp_path: Path) -> None:
    """Run-time inference is numpy only (issue 12): a process that loads a stored model and decides
    never imports scikit-learn or SciPy; only training does."""
    ModelCache(directory=tmp_path).get([])
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from mostrador.bot import Bot, BotConfig\n"
        "from mostrador.bot.model import ModelCache\n"
        f"models = ModelCache(directory=Path({str(tmp_path)!r}))\n"
        "bot = Bot(BotConfig(), models=models)\n"
        "decision = bot.decide('tenés stock?', item={'id': 'MLA1', 'status': 'active', 'price': 10})\n"
        "assert decision.intents == ['availability'], decision.intents\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'sklearn', 'scipy'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_ready_never_trains(tmp_path: Path) -> None:
    extra = [TrainingPhrase("viene con estuche rigido?", frozenset({"product_details"}), "es", 3.0)]
    cache = ModelCache(directory=tmp_path)
    assert cache.ready(extra) is None
    assert list(tmp_path.glob("*.npz")) == []
    trained = cache.get(extra)
    assert cache.ready(extra) is trained
    assert ModelCache(directory=tmp_path).ready(extra) is not None
    lighter = [TrainingPhrase(extra[0].text, extra[0].intents, "es", 1.0)]
    assert phrases_key(lighter) != phrases_key(extra), "a different weight is a different model"
