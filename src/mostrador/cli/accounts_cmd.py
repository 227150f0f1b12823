"""`mostrador accounts …`: list connected accounts and rotate the token-encryption key."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mostrador.settings import Settings

if TYPE_CHECKING:
    from mostrador.context import AppContext

app = typer.Typer(help="Connected Mercado Libre accounts.", no_args_is_help=True)


def _context(data_dir: Path | None) -> AppContext:
    from mostrador.context import build_context

    settings = Settings()
    if data_dir is not None:
        settings.data_dir = data_dir
    return build_context(settings.ensure_secrets())


@app.command("list")
def list_accounts(data_dir: Annotated[Path | None, typer.Option(help="Data directory.")] = None) -> None:
    """Every connected account with its health."""
    from mostrador.store import accounts as accounts_store
    from mostrador.store.db import transaction

    ctx = _context(data_dir)
    with transaction(ctx.sessions) as s:
        for a in accounts_store.all_accounts(s):
            seen = a.last_notification_at.isoformat() if a.last_notification_at else "never"
            typer.echo(
                f"{a.id}\t{a.nickname}\t{a.meli_user_id}\t{a.site_id}\t{a.status}\tlast notification {seen}"
            )
    ctx.engine.dispose()


@app.command("rotate-keys")
def rotate_keys(data_dir: Annotated[Path | None, typer.Option(help="Data directory.")] = None) -> None:
    """Re-encrypt stored tokens with the first key of MOSTRADOR_TOKEN_KEYS (prepend a new key first)."""
    from mostrador.accounts.keys import rotate_token_keys
    from mostrador.webhooks.endpoints import reencrypt_secrets

    ctx = _context(data_dir)
    typer.echo(f"re-encrypted the tokens of {rotate_token_keys(ctx)} account(s) with the current key")
    typer.echo(f"re-encrypted the signing secrets of {reencrypt_secrets(ctx)} webhook endpoint(s)")
    ctx.engine.dispose()
