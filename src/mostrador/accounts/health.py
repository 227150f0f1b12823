"""What the accounts page shows: token state, notification flow and last sync, told truthfully."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mostrador.context import AppContext
from mostrador.i18n import N_, gettext
from mostrador.store import accounts as accounts_store
from mostrador.store import operations as operations_store
from mostrador.store.db import transaction
from mostrador.store.models import utcnow

STALE_AFTER = timedelta(hours=6)

TOKEN_LABELS = {  # in Spanish, the source text: `token_label` is in the reader's language
    "active": N_("Token válido"),
    "refresh_failing": N_("Renovación del token fallando"),
    "revoked": N_("Autorización revocada: reconectá la cuenta"),
    "disconnected": N_("Desconectada"),
}
# Details the app itself records (English, in the row: accounts.connect); others (Mercado Libre's
# refusals of a token) are shown as recorded.
KNOWN_DETAILS = {"disconnected by an agent": N_("la desconectó una persona del equipo")}


@dataclass(frozen=True)
class AccountHealth:
    id: int
    nickname: str
    meli_user_id: int
    site_id: str
    status: str
    token_label: str
    detail: str | None
    notifications: str  # flowing | stale | none
    last_notification_at: datetime | None
    last_sync_at: datetime | None
    needs_reconnect: bool


def account_health(ctx: AppContext, workspace_id: int) -> list[AccountHealth]:
    now = utcnow()
    out = []
    with transaction(ctx.sessions) as s:
        for a in accounts_store.accounts_of(s, workspace_id):
            if a.last_notification_at is None:
                flow = "none"
            else:
                flow = "flowing" if now - a.last_notification_at < STALE_AFTER else "stale"
            out.append(
                AccountHealth(
                    id=a.id,
                    nickname=a.nickname,
                    meli_user_id=a.meli_user_id,
                    site_id=a.site_id,
                    status=a.status,
                    token_label=gettext(TOKEN_LABELS[a.status]) if a.status in TOKEN_LABELS else a.status,
                    detail=_detail(a.status_detail),
                    notifications=flow,
                    last_notification_at=a.last_notification_at,
                    last_sync_at=a.last_sync_at,
                    needs_reconnect=a.status in ("revoked", "refresh_failing", "disconnected"),
                )
            )
    return out


def _detail(recorded: str | None) -> str | None:
    known = KNOWN_DETAILS.get(recorded or "")
    return gettext(known) if known else recorded


@dataclass(frozen=True)
class RunView:
    kind: str
    account: str
    started_at: datetime
    finished_at: datetime | None
    found: int
    status: str
    detail: str | None


def recent_runs(ctx: AppContext, workspace_id: int, limit: int = 15) -> list[RunView]:
    """Recent safety-net runs for this workspace's accounts (app-wide missed-feeds runs included)."""
    with transaction(ctx.sessions) as s:
        accounts = {a.id: a.nickname for a in accounts_store.accounts_of(s, workspace_id)}
        runs = operations_store.recent_sync_runs(s, list(accounts), limit=limit)
        return [
            RunView(
                r.kind,
                accounts.get(r.account_id or 0, gettext("todas")),  # app-wide runs
                r.started_at,
                r.finished_at,
                r.found,
                r.status,
                r.detail,
            )
            for r in runs
        ]
