"""Errors raised by the bot package.

BotError
 ├── BotConfigError     a configuration cannot be loaded (bad YAML, unknown variable, guard failure)
 ├── TrainingDataError  the built-in or seller phrases cannot train a model
 └── InvalidExample     intents an agent confirmed for a question break the labelling rules
"""

from __future__ import annotations


class BotError(Exception):
    """Something went wrong inside the bot."""


class BotConfigError(BotError, ValueError):
    """The bot configuration is invalid; the message says which field and why."""


class TrainingDataError(BotError):
    """The training phrases are unusable (unknown intent, empty set)."""


class InvalidExample(BotError, ValueError):
    """The confirmed intents are unknown, empty, or combine greeting/other with another intent."""
