"""Examples from the team: questions whose intents an agent confirmed, trained into that account's
model only.

Each example weighs `EXAMPLE_WEIGHT` built-in phrases (a sample weight in training, not copies), so a
handful of confirmations about one way of asking outweighs the generic phrases that pulled it toward
another intent, while the ~5,000 built-in phrases and real questions still carry the rest. An account
keeps at most `MAX_EXAMPLES` (the newest); removing an example retrains without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mostrador.bot.errors import InvalidExample
from mostrador.bot.intents import EXCLUSIVE_INTENTS, INTENTS, TrainingPhrase
from mostrador.bot.normalize import Lang

EXAMPLE_WEIGHT = 4.0
MAX_EXAMPLES = 2000
ACCOUNT_SOURCE = "account"


def checked_intents(intents: Iterable[str]) -> list[str]:
    """The intents in canonical order, or `InvalidExample` naming the problem (labelling rules of
    intents.md: greeting and other only stand alone)."""
    chosen = set(intents)
    if not chosen:
        raise InvalidExample("choose at least one intent")
    unknown = sorted(chosen - set(INTENTS))
    if unknown:
        raise InvalidExample(f"unknown intent(s): {', '.join(unknown)}")
    if len(chosen) > 1 and chosen & EXCLUSIVE_INTENTS:
        raise InvalidExample("greeting and other are never combined with another intent")
    return [i for i in INTENTS if i in chosen]


def example_phrases(examples: Sequence[tuple[str, Sequence[str], str | None]]) -> list[TrainingPhrase]:
    """(text, intents, lang) rows as weighted training phrases, newest `MAX_EXAMPLES` only."""
    kept = examples[-MAX_EXAMPLES:]
    return [
        TrainingPhrase(text, frozenset(intents), _lang(lang), EXAMPLE_WEIGHT, ACCOUNT_SOURCE)
        for text, intents, lang in kept
        if text.strip() and intents
    ]


def _lang(value: str | None) -> Lang | None:
    return "es" if value == "es" else "pt" if value == "pt" else None
