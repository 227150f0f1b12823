"""Reading the audit log for the admins' page: one workspace's entries, filtered and paged.

Writing is `mostrador.store.audit.record`, called where each thing is done. The actions' names are
kept here, in Spanish (the source text), and read in the reader's language (`label`, `actions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mostrador.i18n import N_, gettext
from mostrador.store import audit
from mostrador.store import people as people_store
from mostrador.store.db import transaction

PAGE_SIZE = 50
# What the log knows how to name (the page's filter offers these); another action is still recorded.
ACTIONS: dict[str, str] = {
    "question.answered": N_("Respondió una pregunta"),
    "message.sent": N_("Envió un mensaje"),
    "conversation.action": N_("Hizo una acción (reclamo, borrar pregunta, bloquear…)"),
    "send.retried": N_("Reintentó un envío"),
    "conversation.taken_over": N_("Tomó una conversación"),
    "conversation.handed_back": N_("Devolvió una conversación al bot"),
    "conversation.assigned": N_("Asignó una conversación"),
    "bot.settings_changed": N_("Cambió la configuración del bot"),
    "bot.mode_changed": N_("Cambió el modo del bot"),
    "account.connected": N_("Conectó una cuenta"),
    "account.disconnected": N_("Desconectó una cuenta"),
    "webhook.created": N_("Creó un webhook"),
    "webhook.changed": N_("Cambió un webhook"),
    "webhook.deleted": N_("Borró un webhook"),
    "person.invited": N_("Invitó a una persona"),
    "invitation.revoked": N_("Revocó una invitación"),
    "invitation.accepted": N_("Aceptó una invitación"),
    "person.role_changed": N_("Cambió un rol"),
    "person.removed": N_("Quitó a una persona"),
    "password.reset": N_("Restableció su contraseña"),
}


def label(action: str) -> str:
    """What an action is called on the page, in the reader's language (an unknown one: its code)."""
    return gettext(ACTIONS[action]) if action in ACTIONS else action


def actions() -> dict[str, str]:
    """The filter's choices: every named action, in the reader's language."""
    return {key: gettext(name) for key, name in ACTIONS.items()}


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    action: str
    label: str
    target: str
    details: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    entries: list[Entry]
    older: int | None  # the `before` of the next page, None on the last one
    people: list[tuple[int, str]]  # everyone who ever was in the workspace: the "who" filter


def read(
    sessions: sessionmaker[Session],
    workspace_id: int,
    where: audit.AuditFilter,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> AuditPage:
    with transaction(sessions) as s:
        rows = audit.page_of(s, workspace_id, where, before_id=before, limit=limit + 1)
        people = [
            (u.id, f"{u.name} <{u.email}>") for u, _ in people_store.users_with_workspace(s, workspace_id)
        ]
    entries = [
        Entry(r.id, r.at, _actor(r.user_id, r.actor), r.action, label(r.action), r.target, dict(r.details))
        for r in rows[:limit]
    ]
    older = entries[-1].id if len(rows) > limit else None
    return AuditPage(entries, older, people)


def _actor(user_id: int | None, actor: str) -> str:
    """Who did it, as recorded then; what the system did is named in the reader's language."""
    return gettext("sistema") if user_id is None and actor == audit.SYSTEM else actor
