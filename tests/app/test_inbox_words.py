"""Agents never see a code: every handoff reason the bot can give, and every intent, has words."""

from __future__ import annotations

import re
from importlib import resources

from mostrador.bot import decision
from mostrador.bot.intents import INTENTS
from mostrador.inbox import words


def codes_the_bot_can_give() -> set[str]:
    found = {v for k, v in vars(decision).items() if k.startswith("REASON_") and isinstance(v, str)}
    for name in ("answers.py", "listing.py", "engine.py", "decision.py"):
        source = (resources.files("mostrador.bot") / name).read_text(encoding="utf-8")
        found |= set(re.findall(r'"((?:missing_fact|contradictory_fact):[a-z_]+)"', source))
    found |= {f"{decision.REASON_INTENT_DISABLED}:{intent}" for intent in INTENTS}
    return found - {decision.REASON_INTENT_DISABLED}  # only ever given with its intent


def test_every_reason_the_bot_can_give_has_its_own_words() -> None:
    codes = codes_the_bot_can_give()
    assert len(codes) > 20
    unexplained = sorted(c for c in codes if words.reason_words(c) in (None, words.FALLBACK, c))
    assert unexplained == []


def test_every_intent_has_words_and_unknown_codes_are_never_shown() -> None:
    assert set(words.INTENTS) == set(INTENTS)
    assert words.reason_words("missing_fact:teleport") == words.FALLBACK
    assert words.reason_words("something_new") == words.FALLBACK
    assert words.reason_words(None) is None
