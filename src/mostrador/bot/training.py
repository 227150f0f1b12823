"""Fitting the intent model: scikit-learn and SciPy live here and only here.

Imported only when a model is trained (a new set of phrases, or no stored model on disk), so a process
that loads a stored model and answers questions never imports scikit-learn or SciPy (their imports
alone cost about 2 s of CPU at start-up; docs/bot.md). The result is plain numpy arrays in an
`IntentModel`.

Each phrase carries a weight: built-in phrases and real labelled questions 1, an account's
agent-confirmed examples more (see `learning_weight` in docs/bot.md), passed to liblinear as sample
weights so one confirmed question counts as several phrases without being copied.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from mostrador.bot.courtesy import strip_courtesy
from mostrador.bot.errors import TrainingDataError
from mostrador.bot.features import COMPLAINT_CUE, Lexicon, Vocabulary, raw_features
from mostrador.bot.intents import INTENTS, TrainingPhrase, combine_phrases
from mostrador.bot.model import IntentModel
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


def _fit_binary(
    matrix: sparse.csr_matrix, target: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, float]:
    if target.min() == target.max():
        # A label with no positive example can never fire.
        return np.zeros(matrix.shape[1]), -10.0 if target.max() == 0 else 10.0
    # Dual liblinear: far more n-gram features than phrases, so the dual problem is the small one.
    model = LogisticRegression(C=REGULARISATION_C, solver="liblinear", dual=True, max_iter=500)
    model.fit(matrix, target, sample_weight=weight)
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


def fit(phrases: Sequence[TrainingPhrase], lexicon: Lexicon, seed: int = 7) -> IntentModel:
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
    weights_of = np.array([p.weight for p in examples], dtype=float)

    weights = np.zeros((vocabulary.size, len(INTENTS)))
    bias = np.zeros(len(INTENTS))
    slope = np.ones(len(INTENTS))
    intercept = np.zeros(len(INTENTS))
    folds = _leak_free_folds(len(phrases), [(i, j) for _, i, j in combined], seed)
    for j in range(len(INTENTS)):
        target = targets[:, j]
        weights[:, j], bias[j] = _fit_binary(matrix, target, weights_of)
        held_scores, held_targets = [], []
        for train_rows, held_rows in folds:
            coef, b = _fit_binary(matrix[train_rows], target[train_rows], weights_of[train_rows])
            held_scores.append(matrix[held_rows] @ coef + b)
            held_targets.append(target[held_rows])
        slope[j], intercept[j] = _fit_platt(np.concatenate(held_scores), np.concatenate(held_targets))
    return IntentModel(vocabulary, lexicon, weights, bias, slope, intercept)
