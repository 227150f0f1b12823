"""Merge the answers to every intent of one question into one answer text.

Mercado Libre keeps one answer per question (§5.4), so several bot replies are merged: parts in the
buyer's order, at most one greeting and one sign-off, one line, within the 2,000-character limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mostrador.bot.guard import QUESTION_ANSWER_LIMIT

_SPACES = re.compile(r"\s+")


def one_line(text: str) -> str:
    """Collapse newlines and runs of spaces; start with a capital letter (parts often start with a value)."""
    text = _SPACES.sub(" ", text).strip()
    return text[:1].upper() + text[1:]


def compose_answer(
    parts: Sequence[str],
    greeting: str = "",
    sign_off: str = "",
    note: str = "",
    limit: int = QUESTION_ANSWER_LIMIT,
) -> str | None:
    """One line: greeting, parts (duplicates dropped), note, sign-off; None if the parts alone are too long.

    Courtesy is dropped before content when space runs out: first the sign-off, then the greeting.
    """
    body = [one_line(p) for p in dict.fromkeys(parts) if one_line(p)]
    note = one_line(note)
    for use_greeting, use_sign_off in ((True, True), (True, False), (False, False)):
        pieces = ([one_line(greeting)] if use_greeting else []) + body + ([note] if note else [])
        pieces += [one_line(sign_off)] if use_sign_off else []
        text = " ".join(p for p in pieces if p)
        if len(text) <= limit:
            return text
    return None
