"""Multi-label evaluation: per-intent precision/recall/F1, micro-F1 and a confusion table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mostrador.bot.intents import INTENTS
from mostrador.bot.sources import LabelledQuestion, parse_labelled

NONE_LABEL = "(none)"
__all__ = ["EvaluationReport", "LabelledQuestion", "evaluate", "format_report", "read_labelled"]


@dataclass(slots=True)
class EvaluationReport:
    """Counts behind the metrics; `confusion[(gold, predicted)]` counts missed/extra label pairs."""

    true_positive: Counter[str] = field(default_factory=Counter)
    false_positive: Counter[str] = field(default_factory=Counter)
    false_negative: Counter[str] = field(default_factory=Counter)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    total: int = 0

    def precision(self, intent: str) -> float:
        tp, fp = self.true_positive[intent], self.false_positive[intent]
        return tp / (tp + fp) if tp + fp else 0.0

    def recall(self, intent: str) -> float:
        tp, fn = self.true_positive[intent], self.false_negative[intent]
        return tp / (tp + fn) if tp + fn else 0.0

    def f1(self, intent: str) -> float:
        p, r = self.precision(intent), self.recall(intent)
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def micro_f1(self) -> float:
        tp = sum(self.true_positive.values())
        fp = sum(self.false_positive.values())
        fn = sum(self.false_negative.values())
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    def as_dict(self) -> dict[str, object]:
        """Machine-readable summary (for `mostrador bot eval --json`)."""
        per_intent = {
            intent: {
                "precision": round(self.precision(intent), 4),
                "recall": round(self.recall(intent), 4),
                "f1": round(self.f1(intent), 4),
                "support": self.true_positive[intent] + self.false_negative[intent],
            }
            for intent in INTENTS
        }
        confusion = [
            {"gold": gold, "predicted": predicted, "count": count}
            for (gold, predicted), count in self.confusion.most_common()
        ]
        return {
            "total": self.total,
            "micro_f1": round(self.micro_f1, 4),
            "per_intent": per_intent,
            "confusion": confusion,
        }


def read_labelled(path: Path) -> list[LabelledQuestion]:
    """Read `{"text", "intents", "lang"?, "source"?}` JSON lines."""
    return parse_labelled(path.read_text("utf-8").splitlines(), path.name)


def evaluate(
    questions: Iterable[LabelledQuestion], predict: Callable[[LabelledQuestion], Sequence[str]]
) -> EvaluationReport:
    """Compare predictions with gold labels; unmatched gold and predicted labels are paired for confusion."""
    report = EvaluationReport()
    for question in questions:
        report.total += 1
        predicted = set(predict(question))
        gold = set(question.intents)
        for intent in predicted & gold:
            report.true_positive[intent] += 1
        missed = sorted(gold - predicted)
        extra = sorted(predicted - gold)
        for intent in extra:
            report.false_positive[intent] += 1
        for intent in missed:
            report.false_negative[intent] += 1
        for gold_intent in missed or [NONE_LABEL]:
            for predicted_intent in extra or ([NONE_LABEL] if missed else []):
                report.confusion[(gold_intent, predicted_intent)] += 1
    return report


def format_report(report: EvaluationReport) -> str:
    """Plain-text table of per-intent metrics, micro-F1 and the most frequent confusions."""
    lines = [f"{'intent':<16} {'prec':>6} {'rec':>6} {'f1':>6} {'n':>5}"]
    for intent in INTENTS:
        support = report.true_positive[intent] + report.false_negative[intent]
        lines.append(
            f"{intent:<16} {report.precision(intent):6.3f} {report.recall(intent):6.3f} "
            f"{report.f1(intent):6.3f} {support:5d}"
        )
    lines.append(f"micro-F1 {report.micro_f1:.4f} over {report.total} questions")
    lines.append("confusion (gold -> predicted, count):")
    for (gold, predicted), count in report.confusion.most_common(20):
        lines.append(f"  {gold:<16} -> {predicted:<16} {count}")
    return "\n".join(lines)
