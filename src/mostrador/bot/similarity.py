"""Near-copies between two sets of texts: character-4-gram Jaccard on a plain folded form.

An exact-match check misses "Qual é o contato particular?" against "qual o contato particular?";
4-gram Jaccard ≥ 0.55 catches such pairs (and light rewordings) while unrelated questions about the
same topic stay far below it. Used by the leakage tests (training phrases against every labelled set,
the buyer simulator's clauses against the training phrases) and by leave-one-source-out evaluation,
which drops from a fold's training set anything that nearly copies a text of the evaluated source.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mostrador.bot.normalize import fold

NEAR_COPY = 0.55
GRAM = 4
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def plain(text: str) -> str:
    """Lower case, no accents, words separated by one space: what "the same text" means here."""
    return _NOT_WORD.sub(" ", fold(text)).strip()


def grams(text: str, size: int = GRAM) -> frozenset[str]:
    """Character n-grams of the plain form, padded so a short text still has a few."""
    padded = f" {plain(text)} "
    if len(padded) <= size:
        return frozenset({padded})
    return frozenset(padded[i : i + size] for i in range(len(padded) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


@dataclass(frozen=True, slots=True)
class NearCopy:
    """A text of the first set that (nearly) copies one of the second, with their similarity."""

    text: str
    copy_of: str
    similarity: float


class GramIndex:
    """Texts indexed by their n-grams, so each lookup only compares texts that share one."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.texts: list[str] = []
        self._grams: list[frozenset[str]] = []
        self._postings: dict[str, list[int]] = {}
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        position = len(self.texts)
        self.texts.append(text)
        shingles = grams(text)
        self._grams.append(shingles)
        for gram in shingles:
            self._postings.setdefault(gram, []).append(position)

    def nearest(self, text: str) -> tuple[str, float] | None:
        """The most similar indexed text and its Jaccard similarity (None when none shares a gram)."""
        shingles = grams(text)
        shared: Counter[int] = Counter()
        for gram in shingles:
            shared.update(self._postings.get(gram, ()))
        best: tuple[str, float] | None = None
        for position, common in shared.items():
            score = common / (len(shingles) + len(self._grams[position]) - common)
            if best is None or score > best[1]:
                best = (self.texts[position], score)
        return best


def near_copies(texts: Sequence[str], others: Sequence[str], threshold: float = NEAR_COPY) -> list[NearCopy]:
    """Every text of `texts` whose nearest text in `others` reaches `threshold` (exact copies included)."""
    index = GramIndex(others)
    found = []
    for text in texts:
        nearest = index.nearest(text)
        if nearest is not None and nearest[1] >= threshold:
            found.append(NearCopy(text, nearest[0], round(nearest[1], 3)))
    return found
