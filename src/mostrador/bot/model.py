"""Multi-label intent model: one-vs-rest logistic regression with Platt-calibrated scores.

Trained with scikit-learn, then reduced to a numpy weight matrix so one prediction is a dictionary walk
and a small matrix product (no scikit-learn call per question). Scores are calibrated with Platt scaling
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
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from mostrador.bot.courtesy import strip_courtesy
from mostrador.bot.errors import TrainingDataError
from mostrador.bot.features import COMPLAINT_CUE, Lexicon, Vocabulary, raw_features
from mostrador.bot.intents import INTENTS, TrainingPhrase, builtin_lexicon, builtin_phrases, combine_phrases
from mostrador.bot.normalize import normalize

REGULARISATION_C = 16.0
CALIBRATION_FOLDS = 3
COMBINED_PER_LANGUAGE = 700


def _prepare(phrase: TrainingPhrase) -> tuple[str, str]:
    """The folded, courtesy-stripped text and its language (detected when the phrase does not say, as
    for a seller's own phrases, so they train the same language-tagged features buyers' texts use)."""
    normalized = normalize(phrase.text, lang=phrase.lang)
    core, _ = strip_courtesy(normalized.folded)
    return core or normalized.folded, normalized.lang


def _fit_binary(matrix: sparse.csr_matrix, target: np.ndarray) -> tuple[np.ndarray, float]:
    if target.min() == target.max():
        # A label with no positive example can never fire.
        return np.zeros(matrix.shape[1]), -10.0 if target.max() == 0 else 10.0
    # Dual liblinear: far more n-gram features than phrases, so the dual problem is the small one.
    model = LogisticRegression(C=REGULARISATION_C, solver="liblinear", dual=True, max_iter=500)
    model.fit(matrix, target)
    return model.coef_[0].copy(), float(model.intercept_[0])


def _fit_platt(decision: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    if target.min() == target.max():
        return 1.0, 0.0
    platt = LogisticRegression(C=1e4, solver="lbfgs")
    platt.fit(decision.reshape(-1, 1), target)
    return float(platt.coef_[0][0]), float(platt.intercept_[0])


def _leak_free_folds(
    n_phrases: int, sources: Sequence[tuple[int, int]], seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """K folds over the phrases; a combination trains only if neither source is held out, and is held
    out only if both are, so no held-out phrase is ever seen inside a combination."""
    fold_of = np.zeros(n_phrases, dtype=int)
    for k, (_, held) in enumerate(
        KFold(CALIBRATION_FOLDS, shuffle=True, random_state=seed).split(np.arange(n_phrases))
    ):
        fold_of[held] = k
    folds = []
    for k in range(CALIBRATION_FOLDS):
        train = [row for row in range(n_phrases) if fold_of[row] != k]
        held = [row for row in range(n_phrases) if fold_of[row] == k]
        for offset, (i, j) in enumerate(sources):
            row = n_phrases + offset
            if fold_of[i] != k and fold_of[j] != k:
                train.append(row)
            elif fold_of[i] == k and fold_of[j] == k:
                held.append(row)
        folds.append((np.array(train), np.array(held)))
    return folds


@dataclass(frozen=True, slots=True)
class IntentModel:
    """Calibrated one-vs-rest linear model over `INTENTS`."""

    vocabulary: Vocabulary
    lexicon: Lexicon
    weights: np.ndarray  # (features, intents)
    bias: np.ndarray  # (intents,)
    platt_slope: np.ndarray
    platt_intercept: np.ndarray
    token_cache: dict[str, list[int]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def train(cls, phrases: Sequence[TrainingPhrase], lexicon: Lexicon, seed: int = 7) -> IntentModel:
        """Fit on the phrases plus generated two-intent combinations; deterministic for a given seed."""
        if not phrases:
            raise TrainingDataError("no training phrases")
        combined = combine_phrases(phrases, COMBINED_PER_LANGUAGE, seed)
        examples = list(phrases) + [c for c, _, _ in combined]
        featurised = [raw_features(text, lexicon, lang) for text, lang in map(_prepare, examples)]
        vocabulary = Vocabulary.fit((counts for counts, _ in featurised), (*INTENTS, COMPLAINT_CUE))
        rows, cols, vals = [], [], []
        for row, (counts, hits) in enumerate(featurised):
            indices, values = vocabulary.vectorize(counts, hits)
            rows.extend([row] * len(indices))
            cols.extend(indices)
            vals.extend(values)
        matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(examples), vocabulary.size))
        targets = np.array([[intent in p.intents for intent in INTENTS] for p in examples], dtype=int)

        weights = np.zeros((vocabulary.size, len(INTENTS)))
        bias = np.zeros(len(INTENTS))
        slope = np.ones(len(INTENTS))
        intercept = np.zeros(len(INTENTS))
        folds = _leak_free_folds(len(phrases), [(i, j) for _, i, j in combined], seed)
        for j in range(len(INTENTS)):
            target = targets[:, j]
            weights[:, j], bias[j] = _fit_binary(matrix, target)
            held_scores, held_targets = [], []
            for train_rows, held_rows in folds:
                coef, b = _fit_binary(matrix[train_rows], target[train_rows])
                held_scores.append(matrix[held_rows] @ coef + b)
                held_targets.append(target[held_rows])
            slope[j], intercept[j] = _fit_platt(np.concatenate(held_scores), np.concatenate(held_targets))
        return cls(vocabulary, lexicon, weights, bias, slope, intercept)

    def scores(self, core_folded: str, lang: str | None = None) -> dict[str, float]:
        """Calibrated probability per intent for a folded, courtesy-stripped text."""
        return self.scores_and_cues(core_folded, lang)[0]

    def scores_and_cues(
        self, core_folded: str, lang: str | None = None
    ) -> tuple[dict[str, float], list[str]]:
        """Calibrated probability per intent, and the lexicon cues found in the text (`lang` adds the
        language's own word features to the shared ones)."""
        indices, values, hits = self.vocabulary.vectorize_text(
            core_folded, self.lexicon, self.token_cache, lang
        )
        logits = np.asarray(values) @ self.weights[indices] + self.bias if indices else self.bias.copy()
        probabilities = 1.0 / (1.0 + np.exp(-(self.platt_slope * logits + self.platt_intercept)))
        return dict(zip(INTENTS, probabilities.tolist(), strict=True)), hits


def phrases_key(extra: Sequence[TrainingPhrase]) -> str:
    """Stable hash of the seller's phrases: two configs with the same phrases share one model."""
    payload = sorted((p.text, sorted(p.intents), p.lang or "") for p in extra)
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


class ModelCache:
    """Trained models keyed by the hash of the seller phrases (LRU, bounded).

    With a `directory`, trained models are also kept on disk (see `model_store`), so a new process
    loads in milliseconds what another one trained.
    """

    def __init__(self, max_models: int = 16, directory: Path | None = None) -> None:
        self._models: OrderedDict[str, IntentModel] = OrderedDict()
        self._max = max_models
        self._directory = directory
        self._lock = threading.Lock()

    def get(self, extra: Sequence[TrainingPhrase]) -> IntentModel:
        """The model for built-in phrases plus `extra`, loading or training it on first use."""
        key = phrases_key(extra)
        with self._lock:  # one training per key, even when several threads ask at once
            model = self._models.get(key)
            if model is None:
                model = self._load_or_train(key, extra)
                self._models[key] = model
                while len(self._models) > self._max:
                    self._models.popitem(last=False)
            self._models.move_to_end(key)
            return model

    def _load_or_train(self, key: str, extra: Sequence[TrainingPhrase]) -> IntentModel:
        from mostrador.bot import model_store

        path = model_store.model_path(self._directory, key) if self._directory else None
        if path is not None and path.exists():
            stored = model_store.load(path)
            if isinstance(stored, IntentModel):
                return stored
        model = IntentModel.train(list(builtin_phrases()) + list(extra), builtin_lexicon())
        if path is not None:
            with contextlib.suppress(OSError):  # a read-only or full disk only costs a retrain next time
                model_store.save(model, path)
        return model

    def __len__(self) -> int:
        return len(self._models)
