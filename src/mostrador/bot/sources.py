"""Where training and evaluation text comes from, grouped by origin ("source").

Two kinds of labelled text ship with the bot (`bot/data`):

* the **seed pool**: phrases written by us per intent (`phrases_es.yaml`, `phrases_pt.yaml`);
* **labelled questions** (`labelled_pt.jsonl`, `labelled_es.jsonl`): real buyer questions from public
  captures (and, for Spanish, a set written for evaluation), each with the file it came from, labelled
  with the rules of intents.md.

A source is a whole origin: one file of real questions, or the seed pool; never a random subset of
rows. Leave-one-source-out evaluation (`loso.py`) trains on every source but one and evaluates on
that one, so a figure is always measured on text from an origin the model never saw. The shipped model
trains on all of them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from mostrador.bot.errors import TrainingDataError
from mostrador.bot.intents import INTENTS, TrainingPhrase, seed_phrases
from mostrador.bot.normalize import Lang

SEED = "seed"
LANGS: tuple[Lang, ...] = ("es", "pt")


@dataclass(frozen=True, slots=True)
class LabelledQuestion:
    """One labelled text with its language and its origin (a source name)."""

    text: str
    intents: frozenset[str]
    lang: Lang | None = None
    source: str = ""

    def as_phrase(self) -> TrainingPhrase:
        return TrainingPhrase(self.text, self.intents, self.lang, 1.0, self.source)


def origin(source: str) -> str:
    """The source name of a row's `source` field: its file, without the row ("…/db.csv#id=17" ->
    "pt:db.csv"), so every row of one capture file is one source."""
    head = source.split("#", 1)[0]
    return head.rsplit("/", 1)[-1].rsplit(":", 1)[-1] or "unknown"


def parse_labelled(lines: Iterable[str], where: str = "labelled questions") -> list[LabelledQuestion]:
    """`{"text", "intents", "lang"?, "source"?, "origin"?}` JSON lines; unknown intents are refused.

    A row's source is its `origin` when given (a part of a file labelled at another time, kept apart so it
    can be evaluated on its own), else the file named in `source`."""
    questions = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        row = json.loads(line)
        intents = frozenset(row["intents"])
        if not intents or intents - set(INTENTS):
            raise TrainingDataError(f"{where} line {number}: unknown or no intents {sorted(intents)}")
        lang = row.get("lang")
        name = str(row.get("origin") or origin(str(row.get("source") or "unknown")))
        questions.append(LabelledQuestion(row["text"], intents, lang, f"{lang or 'xx'}:{name}"))
    return questions


@functools.cache
def labelled_questions() -> tuple[LabelledQuestion, ...]:
    """Every labelled real (and authored) question shipped with the bot, both languages."""
    found: list[LabelledQuestion] = []
    for lang in LANGS:
        text = resources.files("mostrador.bot").joinpath("data", f"labelled_{lang}.jsonl").read_text("utf-8")
        found.extend(parse_labelled(text.splitlines(), f"labelled_{lang}.jsonl"))
    return tuple(found)


def by_source(questions: Iterable[LabelledQuestion]) -> dict[str, list[LabelledQuestion]]:
    """Questions grouped by source, sources in a stable order."""
    groups: dict[str, list[LabelledQuestion]] = {}
    for question in questions:
        groups.setdefault(question.source, []).append(question)
    return dict(sorted(groups.items()))


def seed_as_questions() -> list[LabelledQuestion]:
    """The seed pool as one source (to evaluate it with a model trained on real questions only)."""
    return [LabelledQuestion(p.text, p.intents, p.lang, SEED) for p in seed_phrases()]


@functools.cache
def builtin_training() -> tuple[TrainingPhrase, ...]:
    """What the shipped model trains on: the seed pool and every labelled question."""
    return tuple(seed_phrases()) + tuple(q.as_phrase() for q in labelled_questions())
