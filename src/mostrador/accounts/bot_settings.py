"""Per-account bot configuration: stored as JSON in the account row, edited as YAML in the inbox."""

from __future__ import annotations

from typing import Any

import yaml

from mostrador.bot import BotConfig
from mostrador.bot.cache import account_config
from mostrador.bot.errors import BotConfigError
from mostrador.context import AppContext
from mostrador.i18n import gettext
from mostrador.store.db import transaction
from mostrador.store.models import Account


class UnknownAccount(LookupError):
    """No such account in this workspace."""


class SettingsRefused(BotConfigError):
    """Input refused here, before the bot reads it; the message is in the reader's words (the bot's own
    `BotConfigError`s are technical English: the page says they were not saved and quotes them)."""


def load(ctx: AppContext, workspace_id: int, account_id: int) -> tuple[Account, BotConfig]:
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        if acc is None or acc.workspace_id != workspace_id:
            raise UnknownAccount(UnknownAccount.__doc__)
        s.expunge(acc)
    return acc, account_config(acc.bot_config)


def as_yaml(config: BotConfig) -> str:
    return config.to_yaml()


def save_yaml(ctx: AppContext, workspace_id: int, account_id: int, text: str) -> BotConfig:
    """Validate and store; raises BotConfigError with the field and the reason on bad input."""
    config = BotConfig.from_yaml(text)
    _store(ctx, workspace_id, account_id, config.model_dump(mode="json"))
    return config


def set_mode(ctx: AppContext, workspace_id: int, account_id: int, mode: str) -> None:
    if mode not in ("auto", "draft"):
        raise SettingsRefused(
            gettext("El modo es «auto» (responder solo) o «draft» (borrador para aprobar).")
        )
    _, config = load(ctx, workspace_id, account_id)
    data: dict[str, Any] = {**config.model_dump(mode="json"), "mode": mode}
    _store(ctx, workspace_id, account_id, BotConfig.from_data(data).model_dump(mode="json"))


def _store(ctx: AppContext, workspace_id: int, account_id: int, data: dict[str, Any]) -> None:
    with transaction(ctx.sessions) as s:
        acc = s.get(Account, account_id)
        if acc is None or acc.workspace_id != workspace_id:
            raise UnknownAccount(UnknownAccount.__doc__)
        acc.bot_config = data


def parse_upload(raw: bytes) -> str:
    """An uploaded YAML file as text (UTF-8), with a clear error for anything else."""
    try:
        text = raw.decode("utf-8")
        yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SettingsRefused(
            gettext("El archivo no es YAML en UTF-8: %(detail)s") % {"detail": exc}
        ) from exc
    return text
