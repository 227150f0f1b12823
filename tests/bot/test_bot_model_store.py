"""Trained models kept on disk: loaded instead of retrained, never stale, robust to damaged files."""

from __future__ import annotations

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
