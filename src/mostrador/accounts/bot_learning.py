"""An account's confirmed examples as the bot uses them: the decide path reads them (only when their
revision moved), and the background retraining trains the account's model with them."""

from __future__ import annotations

import time
from typing import Any

from mostrador.bot.engine import Bot
from mostrador.bot.intents import TrainingPhrase
from mostrador.bot.learning import example_phrases
from mostrador.context import AppContext
from mostrador.store import learning as learning_store
from mostrador.store.db import transaction
from mostrador.store.models import Account, utcnow


def examples(ctx: AppContext, account_id: int) -> list[TrainingPhrase]:
    """The account's examples as weighted training phrases."""
    with transaction(ctx.sessions) as s:
        rows = [(e.text, list(e.intents), e.lang) for e in learning_store.examples_of(s, account_id)]
    return example_phrases(rows)


def revision(ctx: AppContext, account_id: int) -> int:
    """How many times the account's examples changed (0: none ever)."""
    with transaction(ctx.sessions) as s:
        state = learning_store.learning_state(s, account_id)
        return state.revision if state is not None else 0


def bot_for(ctx: AppContext, account_id: int, bot_config: dict[str, Any] | None) -> Bot:
    """The bot that decides for this account now (its newest trained model; never trains examples)."""
    return ctx.bots.for_account(
        account_id, bot_config, revision(ctx, account_id), lambda: examples(ctx, account_id)
    )


def retrain(ctx: AppContext, account_id: int) -> dict[str, Any]:
    """Train the account's model with its current examples and record the revision it reflects.

    Safe to repeat: the same examples give the same model key, loaded from memory or disk."""
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        state = learning_store.learning_state(s, account_id)
        if account is None or state is None:
            return {"outcome": "skipped", "detail": "no such account or no examples"}
        current, raw = state.revision, dict(account.bot_config) if account.bot_config else None
        rows = [(e.text, list(e.intents), e.lang) for e in learning_store.examples_of(s, account_id)]
    phrases = example_phrases(rows)
    started = time.perf_counter()
    ctx.bots.train_account(account_id, raw, current, phrases)
    detail = {"examples": len(phrases), "seconds": round(time.perf_counter() - started, 2)}
    with transaction(ctx.sessions) as s:
        learning_store.mark_trained(s, account_id, current, utcnow(), detail)
    return {"outcome": "trained", "revision": current, **detail}
