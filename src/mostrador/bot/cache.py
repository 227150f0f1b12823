"""One trained bot per distinct account configuration, shared by every workflow in the process."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from mostrador.bot.config import BotConfig
from mostrador.bot.engine import Bot
from mostrador.bot.model import ModelCache


def account_config(raw: dict[str, Any] | None) -> BotConfig:
    """An account's stored configuration over the product defaults.

    A newly connected account has no stored configuration, so it gets `BotConfig`'s defaults, whose
    mode is `draft`: the bot proposes, a person approves, until the seller chooses `auto` in the bot
    settings. Answering a real seller's buyers unreviewed is the seller's decision, not ours.
    """
    return BotConfig.model_validate(raw or {})


class BotCache:
    """Training the intent model costs milliseconds to seconds: do it once per configuration."""

    def __init__(self, model_dir: Path | None = None, max_entries: int = 256) -> None:
        self._bots: dict[str, Bot] = {}
        self._lock = threading.Lock()
        self._max = max_entries
        # Trained intent models are kept in `model_dir`, so restarts load instead of retraining.
        self._models = ModelCache(directory=model_dir)

    def warm(self) -> None:
        """Train the default bot now (called in a background thread at start-up)."""
        self.for_config(None)

    def for_config(self, raw: dict[str, Any] | None) -> Bot:
        config = account_config(raw)
        key = hashlib.sha256(json.dumps(config.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
        with self._lock:
            bot = self._bots.get(key)
            if bot is None:
                if len(self._bots) >= self._max:
                    self._bots.pop(next(iter(self._bots)))
                bot = self._bots[key] = Bot(config, models=self._models)
            return bot
