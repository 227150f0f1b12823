"""The fixed intent ids and the built-in training data (phrases and lexicon) shipped under bot/data."""

from __future__ import annotations

import functools
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

import yaml

from mostrador.bot.errors import TrainingDataError
from mostrador.bot.features import Lexicon
from mostrador.bot.normalize import Lang

INTENTS: tuple[str, ...] = (
    "availability",
    "variants",
    "price",
    "payment",
    "shipping",
    "pickup",
    "invoice",
    "warranty",
    "authenticity",
    "product_details",
    "order_status",
    "contact_request",
    "greeting",
    "other",
)
# Per intents.md: `greeting` and `other` apply only when nothing else is asked.
EXCLUSIVE_INTENTS = frozenset({"greeting", "other"})


@dataclass(frozen=True, slots=True)
class TrainingPhrase:
    """One labelled example; `lang` None means "detect it". `weight` is how many phrases it counts as
    in training; `source` names its origin (the seed pool, a file of real questions, an account)."""

    text: str
    intents: frozenset[str]
    lang: Lang | None = None
    weight: float = 1.0
    source: str = ""


def _read_yaml(name: str) -> object:
    return yaml.safe_load(resources.files("mostrador.bot").joinpath("data", name).read_text("utf-8"))


def phrases_from_mapping(
    mapping: Mapping[str, Iterable[str]], lang: Lang | None, source: str = ""
) -> list[TrainingPhrase]:
    """Turn {intent: [phrase, ...]} into training phrases, rejecting unknown intent ids.

    A key may join several intents with "+" ("price+shipping") for phrases that ask two things in one
    sentence ("quanto fica com frete pro CEP X?"), which the generated combinations never produce.
    """
    phrases: list[TrainingPhrase] = []
    for key, texts in mapping.items():
        intents = frozenset(key.split("+"))
        unknown = sorted(intents - set(INTENTS))
        if unknown:
            raise TrainingDataError(f"unknown intent {', '.join(map(repr, unknown))} in training phrases")
        if len(intents) > 1 and intents & EXCLUSIVE_INTENTS:
            raise TrainingDataError(f"{key!r}: greeting and other are never combined with another intent")
        phrases.extend(TrainingPhrase(str(t), intents, lang, 1.0, source) for t in texts)
    return phrases


@functools.cache
def seed_phrases() -> tuple[TrainingPhrase, ...]:
    """The seed pool: the phrases written per intent in Spanish and Portuguese (read once per process);
    `phrases_<lang>.yaml` and any `phrases_<lang>_<topic>.yaml` beside it."""
    phrases: list[TrainingPhrase] = []
    data_dir = resources.files("mostrador.bot").joinpath("data")
    for lang in ("es", "pt"):
        names = sorted(
            entry.name
            for entry in data_dir.iterdir()
            if entry.name == f"phrases_{lang}.yaml"
            or (entry.name.startswith(f"phrases_{lang}_") and entry.name.endswith(".yaml"))
        )
        for name in names:
            data = _read_yaml(name)
            if not isinstance(data, dict):
                raise TrainingDataError(f"{name} must map intent ids to lists")
            phrases.extend(phrases_from_mapping(data, lang, "seed"))
    return tuple(phrases)


@functools.cache
def builtin_lexicon() -> Lexicon:
    """Compiled keyword patterns from data/lexicon.yaml (read once per process)."""
    data = _read_yaml("lexicon.yaml")
    if not isinstance(data, dict):
        raise TrainingDataError("lexicon.yaml must hold `intents` and `complaint`")
    patterns = {intent: list(data["intents"].get(intent, ())) for intent in INTENTS}
    return Lexicon.compile(patterns, list(data["complaint"]))


def combine_phrases(
    phrases: Sequence[TrainingPhrase], count: int, seed: int
) -> list[tuple[TrainingPhrase, int, int]]:
    """Join pairs of single-intent phrases of the same language into multi-intent examples.

    Real questions often ask two things at once ("¿Hay stock? ¿Hacen factura?"); without such examples a
    one-vs-rest model learns that one intent excludes the others. Returns each combination with the
    positions of its two source phrases (so calibration folds can keep them apart).
    """
    rng = random.Random(seed)
    by_lang: dict[str, list[int]] = {}
    for position, phrase in enumerate(phrases):
        if not (phrase.intents & EXCLUSIVE_INTENTS) and phrase.lang is not None:
            by_lang.setdefault(str(phrase.lang), []).append(position)
    combined: list[tuple[TrainingPhrase, int, int]] = []
    joiners = (" ", ", ", " y ", "? ")
    for lang, group in sorted(by_lang.items()):
        if len(group) < 2:
            continue
        for _ in range(count):
            i, j = rng.sample(group, 2)
            first, second = phrases[i], phrases[j]
            if first.intents == second.intents:
                continue
            joiner = rng.choice(joiners).replace(" y ", " e " if lang == "pt" else " y ")
            text = first.text.rstrip("?") + joiner + second.text
            combined.append((TrainingPhrase(text, first.intents | second.intents, first.lang), i, j))
    return combined
