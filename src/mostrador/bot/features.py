"""Turns a folded question into sparse features: word 1-2 grams, character 3-5 grams, lexicon cues.

Character n-grams make the model robust to the spelling buyers actually use ("despornivel", "frente"
for "frete"); lexicon cues carry the synonyms the training phrases do not contain. Word and bigram
features also come in a copy tagged with the text's language ("pt|w:tem"): Spanish and Portuguese share
most spellings but not their meaning ("tem?" asks for stock, "tiene?" rarely stands alone), and the
copies let the model learn a per-language weight on top of the shared one without splitting the data.
Everything is plain Python and dicts so one text is featurised in tens of microseconds.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mostrador.bot.normalize import model_tokens

LEXICON_WEIGHT = 0.25
COMPLAINT_CUE = "complaint"


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Compiled keyword patterns per intent plus the complaint cues."""

    patterns: Mapping[str, re.Pattern[str]]  # one alternation per intent
    complaint: re.Pattern[str]

    @classmethod
    def compile(cls, patterns: Mapping[str, Sequence[str]], complaint: Sequence[str]) -> Lexicon:
        """Join each intent's patterns into one regular expression (one search per intent)."""

        def joined(items: Sequence[str]) -> re.Pattern[str]:
            return re.compile("|".join(f"(?:{p})" for p in items) if items else r"(?!x)x")

        return cls({intent: joined(items) for intent, items in patterns.items()}, joined(complaint))

    def hits(self, folded: str) -> list[str]:
        """Intents whose patterns match the text, plus `COMPLAINT_CUE` when a complaint cue matches."""
        found = [intent for intent, pattern in self.patterns.items() if pattern.search(folded)]
        if self.is_complaint(folded):
            found.append(COMPLAINT_CUE)
        return found

    def is_complaint(self, folded: str) -> bool:
        """True when the text contains an accusation, insult or threat (handoff `complaint`)."""
        return self.complaint.search(folded) is not None


def token_features(token: str, lang: str | None = None) -> list[str]:
    """The word feature (also tagged with the language when known) and, for real words, its character
    3-5 grams (with word-boundary padding)."""
    names = ["w:" + token]
    if lang is not None:
        names.append(lang + "|w:" + token)
    if token.startswith("_") or token == "?":
        return names
    padded = f" {token} "
    for size in (3, 4, 5):
        names.extend("c:" + padded[start : start + size] for start in range(len(padded) - size + 1))
    return names


def pair_features(tokens: Sequence[str], lang: str | None = None) -> list[str]:
    """Word bigrams, with the start and end of the text as tokens of their own.

    The edges tell a bare "tem?" (availability) from "tem na cor X?" (variants): both share every word
    and character n-gram, only the bigram "^ tem" followed by "? $" says the question ends there.
    """
    if not tokens:
        return []
    edged = ["^", *tokens, "$"]
    names = ["b:" + edged[i] + " " + edged[i + 1] for i in range(len(edged) - 1)]
    if lang is not None:
        names.extend([lang + "|" + name for name in names])
    return names


def raw_features(folded: str, lexicon: Lexicon, lang: str | None = None) -> tuple[Counter[str], list[str]]:
    """Counts of word and character n-grams, and the lexicon intents that fired."""
    tokens = model_tokens(folded)
    counts: Counter[str] = Counter()
    for token in tokens:
        counts.update(token_features(token, lang))
    counts.update(pair_features(tokens, lang))
    if not tokens:
        counts["w:_empty_"] += 1
    return counts, lexicon.hits(folded)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Feature index and inverse document frequencies learned from the training phrases."""

    index: Mapping[str, int]
    idf: Sequence[float]
    lexicon_index: Mapping[str, int]

    @property
    def size(self) -> int:
        return len(self.index) + len(self.lexicon_index)

    @classmethod
    def fit(cls, documents: Iterable[Counter[str]], intents: Sequence[str], min_df: int = 1) -> Vocabulary:
        """Keep every feature seen in at least `min_df` documents; smooth idf like scikit-learn."""
        df: Counter[str] = Counter()
        n_docs = 0
        for counts in documents:
            n_docs += 1
            df.update(counts.keys())
        names = sorted(name for name, count in df.items() if count >= min_df)
        index = {name: i for i, name in enumerate(names)}
        idf = [math.log((1 + n_docs) / (1 + df[name])) + 1.0 for name in names]
        lexicon_index = {intent: len(names) + i for i, intent in enumerate(intents)}
        return cls(index=index, idf=idf, lexicon_index=lexicon_index)

    def vectorize(self, counts: Counter[str], lexicon_hits: Iterable[str]) -> tuple[list[int], list[float]]:
        """Sparse (indices, values): sublinear tf-idf, l2-normalised, then the lexicon cues."""
        indices: list[int] = []
        values: list[float] = []
        index, idf = self.index, self.idf
        for name, count in counts.items():
            position = index.get(name)
            if position is None:
                continue
            indices.append(position)
            values.append((1.0 + math.log(count)) * idf[position])
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        values = [v / norm for v in values]
        for intent in lexicon_hits:
            indices.append(self.lexicon_index[intent])
            values.append(LEXICON_WEIGHT)
        return indices, values
