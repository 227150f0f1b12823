"""Multi-label intent model: one-vs-rest logistic regression with Platt-calibrated scores.

Trained with scikit-learn (`training.py`, imported only to train), then reduced to a numpy weight
matrix so one prediction is a dictionary walk and a small matrix product: answering questions imports
numpy only. Scores are calibrated with Platt scaling
fitted on out-of-fold decision values, so a score of 0.8 means "right about 80 % of the time" on phrases
the model did not see (docs/bot.md shows the check against the evaluation set).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mostrador.bot.features import LEXICON_WEIGHT, Lexicon, Vocabulary, pair_features, token_features
from mostrador.bot.intents import INTENTS, TrainingPhrase, builtin_lexicon
from mostrador.bot.normalize import model_tokens
from mostrador.bot.sources import builtin_training


@dataclass(frozen=True, slots=True)
class IntentModel:
    """Calibrated one-vs-rest linear model over `INTENTS`."""

    vocabulary: Vocabulary
    lexicon: Lexicon
    weights: np.ndarray  # (features, intents)
    bias: np.ndarray  # (intents,)
    platt_slope: np.ndarray
    platt_intercept: np.ndarray
    token_cache: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)
    _arrays: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def train(cls, phrases: Sequence[TrainingPhrase], lexicon: Lexicon, seed: int = 7) -> IntentModel:
        """Fit on the phrases plus generated two-intent combinations (imports scikit-learn)."""
        from mostrador.bot.training import fit

        return fit(phrases, lexicon, seed)

    def scores(self, core_folded: str, lang: str | None = None) -> dict[str, float]:
        """Calibrated probability per intent for a folded, courtesy-stripped text."""
        return self.scores_and_cues(core_folded, lang)[0]

    def scores_and_cues(
        self, core_folded: str, lang: str | None = None
    ) -> tuple[dict[str, float], list[str]]:
        """Calibrated probability per intent, and the lexicon cues found in the text (`lang` adds the
        language's own word features to the shared ones)."""
        indices, values = self._vector(core_folded, lang)
        logits = values @ self.weights[indices] + self.bias if indices.size else self.bias.copy()
        hits = self.lexicon.hits(core_folded)
        for intent in hits:
            logits = logits + LEXICON_WEIGHT * self.weights[self.vocabulary.lexicon_index[intent]]
        probabilities = 1.0 / (1.0 + np.exp(-(self.platt_slope * logits + self.platt_intercept)))
        return dict(zip(INTENTS, probabilities.tolist(), strict=True)), hits

    def _vector(self, core_folded: str, lang: str | None) -> tuple[np.ndarray, np.ndarray]:
        """The text's word and character n-gram features as `Vocabulary.vectorize` computes them in
        training (sublinear tf-idf, l2-normalised), with numpy doing the counting: per-token feature
        positions are cached, so a question costs a few dictionary lookups and array operations."""
        tokens = model_tokens(core_folded)
        index = self.vocabulary.index
        parts = [self._token_positions(token, lang) for token in tokens]
        extra = [p for name in pair_features(tokens, lang) if (p := index.get(name)) is not None]
        if not tokens and (p := index.get("w:_empty_")) is not None:
            extra.append(p)
        parts.append(np.asarray(extra, dtype=np.int64))
        positions = np.concatenate(parts)
        if not positions.size:
            return positions, np.zeros(0)
        indices, counts = np.unique(positions, return_counts=True)
        values = (1.0 + np.log(counts)) * self._idf()[indices]
        return indices, values / (np.sqrt(values @ values) or 1.0)

    def _token_positions(self, token: str, lang: str | None) -> np.ndarray:
        key = token if lang is None else lang + "|" + token
        positions = self.token_cache.get(key)
        if positions is None:
            index = self.vocabulary.index
            found = [p for name in token_features(token, lang) if (p := index.get(name)) is not None]
            positions = np.asarray(found, dtype=np.int64)
            if len(self.token_cache) < 50_000:
                self.token_cache[key] = positions
        return positions

    def _idf(self) -> np.ndarray:
        idf = self._arrays.get("idf")
        if idf is None:
            idf = self._arrays["idf"] = np.asarray(self.vocabulary.idf, dtype=float)
        return idf


def phrases_key(extra: Sequence[TrainingPhrase]) -> str:
    """Stable hash of the seller's phrases and examples (with their weights): two configs with the same
    phrases share one model."""
    payload = sorted((p.text, sorted(p.intents), p.lang or "", p.weight) for p in extra)
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


class ModelCache:
    """Trained models keyed by the hash of the seller phrases (LRU, bounded).

    With a `directory`, trained models are also kept on disk (see `model_store`), so a new process
    loads in milliseconds what another one trained. Training holds a lock for its own key only: one
    account's retraining never makes another account's questions wait.
    """

    def __init__(self, max_models: int = 16, directory: Path | None = None) -> None:
        self._models: OrderedDict[str, IntentModel] = OrderedDict()
        self._max = max_models
        self._directory = directory
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def get(self, extra: Sequence[TrainingPhrase]) -> IntentModel:
        """The model for the built-in training data plus `extra`, loading or training it on first use."""
        key = phrases_key(extra)
        model = self._cached(key)
        if model is not None:
            return model
        with self._key_lock(key):  # one training per key, even when several threads ask at once
            model = self._cached(key) or self._load(key)
            if model is None:
                model = IntentModel.train(list(builtin_training()) + list(extra), builtin_lexicon())
                self._save(key, model)
            self._remember(key, model)
            return model

    def ready(self, extra: Sequence[TrainingPhrase]) -> IntentModel | None:
        """The model for `extra` if it is in memory or on disk; None instead of training it."""
        key = phrases_key(extra)
        model = self._cached(key) or self._load(key)
        if model is not None:
            self._remember(key, model)
        return model

    def _cached(self, key: str) -> IntentModel | None:
        with self._lock:
            model = self._models.get(key)
            if model is not None:
                self._models.move_to_end(key)
            return model

    def _remember(self, key: str, model: IntentModel) -> None:
        with self._lock:
            self._models[key] = model
            self._models.move_to_end(key)
            while len(self._models) > self._max:
                self._models.popitem(last=False)

    def _key_lock(self, key: str) -> threading.Lock:
        with self._lock:
            if len(self._key_locks) > 4 * self._max:
                self._key_locks = {k: v for k, v in self._key_locks.items() if v.locked()}
            return self._key_locks.setdefault(key, threading.Lock())

    def _load(self, key: str) -> IntentModel | None:
        from mostrador.bot import model_store

        if self._directory is None:
            return None
        path = model_store.model_path(self._directory, key)
        stored = model_store.load(path) if path.exists() else None
        return stored if isinstance(stored, IntentModel) else None

    def _save(self, key: str, model: IntentModel) -> None:
        from mostrador.bot import model_store

        if self._directory is not None:
            with contextlib.suppress(OSError):  # a read-only or full disk only costs a retrain next time
                model_store.save(model, model_store.model_path(self._directory, key))

    def __len__(self) -> int:
        return len(self._models)
