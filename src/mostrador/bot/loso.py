"""Leave-one-source-out evaluation and the risk–coverage report.

For each source (a whole origin: one file of real questions, or the seed pool; `sources.py`) a model is
trained on every *other* source and evaluated on this one. Before training, anything in the other
sources that nearly copies a text of the evaluated source (`similarity.NEAR_COPY`) is dropped too, so
two files that share rows cannot leak into each other. A figure is therefore always measured on text
from an origin the model never saw, which is what a new seller's buyers are.

The risk–coverage report says, at the account's confidence threshold, what share of the questions of
each intent the bot would answer by itself (coverage) and how often the intents it answered on were
exactly right (the complement of the risk). Questions with an agent-only intent (`order_status`,
`other`) are never answered, whatever the score.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from mostrador.bot.classify import classify_with
from mostrador.bot.evaluation import EvaluationReport, evaluate
from mostrador.bot.features import Lexicon
from mostrador.bot.intents import INTENTS, TrainingPhrase
from mostrador.bot.model import IntentModel
from mostrador.bot.similarity import NEAR_COPY, GramIndex
from mostrador.bot.sources import LabelledQuestion

AGENT_ONLY = frozenset({"order_status", "other"})
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)


@dataclass(frozen=True, slots=True)
class Prediction:
    """What a model that never saw the question's source said about it."""

    question: LabelledQuestion
    intents: tuple[str, ...]
    confidence: float

    @property
    def exact(self) -> bool:
        return set(self.intents) == set(self.question.intents)

    def automatic(self, threshold: float) -> bool:
        """Would the bot answer it by itself (facts permitting) at this threshold?"""
        return self.confidence >= threshold and not AGENT_ONLY & set(self.intents)


@dataclass(slots=True)
class LosoResult:
    """Predictions per evaluated source, and how many near-copies each fold dropped from training."""

    predictions: dict[str, list[Prediction]] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    trained_on: dict[str, int] = field(default_factory=dict)

    def select(self, sources: Iterable[str] | None = None, lang: str | None = None) -> list[Prediction]:
        names = list(self.predictions) if sources is None else list(sources)
        return [
            p
            for name in names
            for p in self.predictions.get(name, [])
            if lang is None or p.question.lang == lang
        ]

    def report(self, sources: Iterable[str] | None = None, lang: str | None = None) -> EvaluationReport:
        chosen = {id(p.question): p for p in self.select(sources, lang)}
        return evaluate([p.question for p in chosen.values()], lambda q: chosen[id(q)].intents)


def fold_training(
    evaluated: Sequence[LabelledQuestion], candidates: Sequence[TrainingPhrase], threshold: float = NEAR_COPY
) -> tuple[list[TrainingPhrase], int]:
    """Training phrases for the fold of `evaluated`: candidates from other sources, minus every one that
    nearly copies an evaluated text. Returns the phrases and how many were dropped as near-copies."""
    names = {q.source for q in evaluated}
    index = GramIndex(q.text for q in evaluated)
    kept, dropped = [], 0
    for phrase in candidates:
        if phrase.source in names:
            continue
        nearest = index.nearest(phrase.text)
        if nearest is not None and nearest[1] >= threshold:
            dropped += 1
            continue
        kept.append(phrase)
    return kept, dropped


def leave_one_source_out(
    sources: Mapping[str, Sequence[LabelledQuestion]],
    training: Sequence[TrainingPhrase],
    lexicon: Lexicon,
    *,
    seed: int = 7,
    train: Callable[[Sequence[TrainingPhrase], Lexicon, int], IntentModel] | None = None,
) -> LosoResult:
    """Evaluate every source in `sources` with a model trained on `training` minus that source."""
    fit = train or (lambda phrases, lex, s: IntentModel.train(phrases, lex, s))
    result = LosoResult()
    for name, questions in sources.items():
        phrases, dropped = fold_training(questions, training)
        model = fit(phrases, lexicon, seed)
        result.dropped[name] = dropped
        result.trained_on[name] = len(phrases)
        result.predictions[name] = [_predict(model, q) for q in questions]
    return result


def _predict(model: IntentModel, question: LabelledQuestion) -> Prediction:
    found = classify_with(model, question.text, question.lang)
    return Prediction(question, tuple(found.intents), found.confidence)


# ---- risk and coverage -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CoverageRow:
    """One intent at one threshold: questions of that intent, the share answered automatically, and the
    share of those whose intents were exactly right; `precision` is about questions *predicted* with it."""

    intent: str
    support: int
    automatic: int
    right: int
    predicted_automatic: int
    predicted_right: int

    @property
    def coverage(self) -> float:
        return self.automatic / self.support if self.support else 0.0

    @property
    def accuracy(self) -> float:
        return self.right / self.automatic if self.automatic else 0.0

    @property
    def precision(self) -> float:
        return self.predicted_right / self.predicted_automatic if self.predicted_automatic else 0.0


def risk_coverage(predictions: Sequence[Prediction], threshold: float) -> list[CoverageRow]:
    """Per intent, then `all` (every question), at `threshold`."""
    rows = []
    for intent in (*INTENTS, "all"):
        gold = [p for p in predictions if intent == "all" or intent in p.question.intents]
        auto = [p for p in gold if p.automatic(threshold)]
        predicted = [p for p in predictions if intent != "all" and intent in p.intents]
        predicted_auto = [p for p in predicted if p.automatic(threshold)]
        rows.append(
            CoverageRow(
                intent,
                len(gold),
                len(auto),
                sum(p.exact for p in auto),
                len(predicted_auto),
                sum(intent in p.question.intents for p in predicted_auto),
            )
        )
    return rows


def coverage_curve(
    predictions: Sequence[Prediction], thresholds: Sequence[float] = THRESHOLDS
) -> list[CoverageRow]:
    """The `all` row at each threshold: how much is answered, and how often it is right."""
    return [risk_coverage(predictions, t)[-1] for t in thresholds]


def format_coverage(rows: Sequence[CoverageRow], threshold: float) -> str:
    lines = [f"at threshold {threshold:.2f}: {'intent':<16} {'n':>5} {'auto':>6} {'right':>6} {'prec':>6}"]
    for row in rows:
        lines.append(
            f"{'':<21}{row.intent:<16} {row.support:5d} {row.coverage:6.2f} {row.accuracy:6.2f} "
            f"{row.precision if row.intent != 'all' else row.accuracy:6.2f}"
        )
    return "\n".join(lines)
