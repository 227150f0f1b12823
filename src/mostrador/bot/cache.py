"""One trained bot per distinct account configuration, shared by every workflow in the process.

An account's model is trained on the built-in data, the seller's own phrases and the examples its
agents confirmed (`learning.py`). Retraining happens in the background (`train_account`); until it is
done, questions are decided with the account's last trained model, so a confirmation never makes a
buyer wait for a training.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mostrador.bot.config import BotConfig
from mostrador.bot.engine import Bot
from mostrador.bot.intents import TrainingPhrase
from mostrador.bot.model import IntentModel, ModelCache


def account_config(raw: dict[str, Any] | None) -> BotConfig:
    """An account's stored configuration over the product defaults.

    A newly connected account has no stored configuration, so it gets `BotConfig`'s defaults, whose
    mode is `draft`: the bot proposes, a person approves, until the seller chooses `auto` in the bot
    settings. Answering a real seller's buyers unreviewed is the seller's decision, not ours.
    """
    return BotConfig.model_validate(raw or {})


def _config_key(config: BotConfig) -> str:
    return hashlib.sha256(json.dumps(config.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


class BotCache:
    """Training the intent model costs milliseconds to seconds: do it once per configuration."""

    def __init__(self, model_dir: Path | None = None, max_entries: int = 256) -> None:
        self._bots: dict[tuple[str, int], Bot] = {}
        self._lock = threading.Lock()
        self._max = max_entries
        # Trained intent models are kept in `model_dir`, so restarts load instead of retraining.
        self._models = ModelCache(directory=model_dir)
        # Per account: the examples of its revision last seen, and its newest model ready to use.
        self._examples: dict[int, tuple[int, list[TrainingPhrase]]] = {}
        self._latest: dict[int, IntentModel] = {}

    @property
    def models(self) -> ModelCache:
        return self._models

    def warm(self) -> None:
        """Train the default bot now (called in a background thread at start-up)."""
        self.for_config(None)

    def for_config(self, raw: dict[str, Any] | None) -> Bot:
        config = account_config(raw)
        return self._bot(config, self._models.get(config.training_phrases()))

    def for_account(
        self,
        account_id: int,
        raw: dict[str, Any] | None,
        revision: int,
        load_examples: Callable[[], list[TrainingPhrase]],
    ) -> Bot:
        """The account's bot with its confirmed examples (`revision` counts their changes; they are
        loaded only when it moved). Never trains for examples: if their model is not ready yet, the
        account's newest ready model answers until `train_account` finishes."""
        config = account_config(raw)
        if revision <= 0:
            return self._bot(config, self._models.get(config.training_phrases()))
        examples = self._examples_at(account_id, revision, load_examples)
        model = self._models.ready(config.training_phrases() + examples)
        if model is not None:
            with self._lock:
                self._latest[account_id] = model
        else:
            with self._lock:
                model = self._latest.get(account_id)
            if model is None:
                model = self._models.get(config.training_phrases())
        return self._bot(config, model)

    def train_account(
        self, account_id: int, raw: dict[str, Any] | None, revision: int, examples: Sequence[TrainingPhrase]
    ) -> IntentModel:
        """Train (or load) the account's model with these examples and make it the one that answers."""
        config = account_config(raw)
        model = self._models.get(config.training_phrases() + list(examples))
        with self._lock:
            self._examples[account_id] = (revision, list(examples))
            self._latest[account_id] = model
        return model

    def _examples_at(
        self, account_id: int, revision: int, load: Callable[[], list[TrainingPhrase]]
    ) -> list[TrainingPhrase]:
        with self._lock:
            known = self._examples.get(account_id)
        if known is not None and known[0] == revision:
            return known[1]
        examples = load()
        with self._lock:
            self._examples[account_id] = (revision, examples)
        return examples

    def _bot(self, config: BotConfig, model: IntentModel) -> Bot:
        key = (_config_key(config), id(model))
        with self._lock:
            bot = self._bots.get(key)
            if bot is None:
                if len(self._bots) >= self._max:
                    self._bots.pop(next(iter(self._bots)))
                bot = self._bots[key] = Bot(config, model=model)
            return bot
