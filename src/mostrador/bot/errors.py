"""Errors raised by the bot package.

BotError
 ├── BotConfigError     a configuration cannot be loaded (bad YAML, unknown variable, guard failure)
 └── TrainingDataError  the built-in or seller phrases cannot train a model
"""

from __future__ import annotations


class BotError(Exception):
    """Something went wrong inside the bot."""


class BotConfigError(BotError, ValueError):
    """The bot configuration is invalid; the message says which field and why."""


class TrainingDataError(BotError):
    """The training phrases are unusable (unknown intent, empty set)."""
