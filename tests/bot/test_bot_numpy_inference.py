"""Run-time inference is numpy only, and gives what scikit-learn gives (issue 12).

Training fits scikit-learn estimators and keeps their arrays (`IntentModel`); answering questions
recomputes features and probabilities with numpy. These tests put the same fitted arrays back into
scikit-learn estimators and check, on every evaluation question, that the training-time featuriser plus
scikit-learn's `decision_function`/`predict_proba` give the probabilities and the intents the app uses.
They walk the model's own arrays and `INTENTS`, so new features or intents keep being checked.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from mostrador.bot.classify import choose_intents, classify_with, shared_models
from mostrador.bot.courtesy import strip_courtesy
from mostrador.bot.evaluation import read_labelled
from mostrador.bot.features import raw_features
from mostrador.bot.intents import INTENTS
from mostrador.bot.model import IntentModel, ModelCache
from mostrador.bot.normalize import normalize

DATA = Path(__file__).resolve().parents[2] / "src" / "mostrador" / "bot" / "data"


def _estimator(coef: np.ndarray, intercept: float) -> LogisticRegression:
    """A fitted binary LogisticRegression holding these weights (what `training.fit` fitted)."""
    estimator = LogisticRegression()
    estimator.classes_ = np.array([0, 1])
    estimator.coef_ = np.asarray(coef, dtype=float).reshape(1, -1)
    estimator.intercept_ = np.array([intercept])
    estimator.n_features_in_ = estimator.coef_.shape[1]
    return estimator


def _sklearn_scores(model: IntentModel, cores: list[tuple[str, str]]) -> np.ndarray:
    """(questions, intents) calibrated probabilities through the training featuriser and scikit-learn."""
    rows, cols, vals = [], [], []
    for row, (core, lang) in enumerate(cores):
        counts, hits = raw_features(core, model.lexicon, lang)
        indices, values = model.vocabulary.vectorize(counts, hits)
        rows.extend([row] * len(indices))
        cols.extend(indices)
        vals.extend(values)
    matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(cores), model.weights.shape[0]))
    out = np.zeros((len(cores), len(INTENTS)))
    for j in range(len(INTENTS)):
        decision = _estimator(model.weights[:, j], float(model.bias[j])).decision_function(matrix)
        platt = _estimator(np.array([model.platt_slope[j]]), float(model.platt_intercept[j]))
        out[:, j] = platt.predict_proba(decision.reshape(-1, 1))[:, 1]
    return out


@pytest.fixture(scope="module")
def evaluation() -> list[tuple[str, str, str]]:
    """(text, folded core, language) of every evaluation question with words left after courtesy."""
    found = []
    for path in sorted(DATA.glob("labelled_*.jsonl")):
        for question in read_labelled(path):
            normalized = normalize(question.text, lang=question.lang)
            core, _ = strip_courtesy(normalized.folded)
            if core:
                found.append((question.text, core, normalized.lang))
    assert len(found) > 100
    return found


def test_numpy_probabilities_equal_scikit_learn_on_the_evaluation_questions(
    evaluation: list[tuple[str, str, str]],
) -> None:
    model = shared_models().get([])
    expected = _sklearn_scores(model, [(core, lang) for _, core, lang in evaluation])
    got = np.array([[model.scores(core, lang)[intent] for intent in INTENTS] for _, core, lang in evaluation])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_numpy_intents_equal_those_chosen_from_scikit_learn_probabilities(
    evaluation: list[tuple[str, str, str]],
) -> None:
    model = shared_models().get([])
    expected = _sklearn_scores(model, [(core, lang) for _, core, lang in evaluation])
    for (text, core, _lang), row in zip(evaluation, expected, strict=True):
        cues = model.lexicon.hits(core)
        from_sklearn = set(choose_intents(dict(zip(INTENTS, row.tolist(), strict=True)), cues))
        assert set(classify_with(model, text).intents) == from_sklearn, text


def test_the_app_imported_and_answering_never_imports_scikit_learn(tmp_path: Path) -> None:
    """What `mostrador serve` imports, plus a decision with the stored model, in a fresh process."""
    ModelCache(directory=tmp_path).get([])  # trained here (scikit-learn), stored for the child
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "import mostrador.web.app, mostrador.workflows.resources, mostrador.cli.main\n"
        "from mostrador.bot.cache import BotCache\n"
        f"bot = BotCache(model_dir=Path({str(tmp_path)!r})).for_config(None)\n"
        "decision = bot.decide('tenés stock?', item={'id': 'MLA1', 'status': 'active', 'price': 10})\n"
        "assert decision.intents == ['availability'], decision.intents\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'sklearn', 'scipy'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
