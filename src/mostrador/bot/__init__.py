"""Mostrador's question-answering bot: pure code, plain data in, a `Decision` out.

from mostrador.bot import Bot, BotConfig
decision = Bot(BotConfig()).decide("¿Tenés el rojo en talle 40?", item=item_json, now=now)
"""

from mostrador.bot.classify import classify
from mostrador.bot.config import BotConfig
from mostrador.bot.decision import Decision
from mostrador.bot.engine import Bot
from mostrador.bot.errors import BotConfigError, BotError, TrainingDataError
from mostrador.bot.guard import GuardResult, Violation, explain, guard
from mostrador.bot.intents import INTENTS

__all__ = [
    "INTENTS",
    "Bot",
    "BotConfig",
    "BotConfigError",
    "BotError",
    "Decision",
    "GuardResult",
    "TrainingDataError",
    "Violation",
    "classify",
    "explain",
    "guard",
]
