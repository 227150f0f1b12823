"""The four roles of a workspace, ordered: viewer < agent < admin < owner.

A role grants everything the roles below it do. What each may do (docs/security.md):

- viewer: reads the inbox, conversations, the accounts page and the bot settings (and exports them);
- agent: also answers questions, writes post-sale and claim messages, approves or edits bot drafts,
  assigns conversations, takes them over from the bot and hands them back, and retries failed sends;
- admin: also connects and disconnects accounts, changes the bot's settings and starts a sync;
- owner: the workspace's first user; owner-only powers (managing admins) come later.
"""

from __future__ import annotations

from enum import StrEnum

from mostrador.i18n import N_, gettext
from mostrador.users.errors import UnknownRole


class Role(StrEnum):
    VIEWER = "viewer"
    AGENT = "agent"
    ADMIN = "admin"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    def at_least(self, minimum: Role) -> bool:
        return self.rank >= minimum.rank

    @property
    def label(self) -> str:
        """The role's name in the reader's language (the header, the people page, the 403 page)."""
        return gettext(LABELS[self])

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise UnknownRole(
                f"unknown role {value!r}; one of: {', '.join(r.value for r in _ORDER)}"
            ) from None


_ORDER = (Role.VIEWER, Role.AGENT, Role.ADMIN, Role.OWNER)
LABELS = {  # Spanish, the source text; `Role.label` translates
    Role.VIEWER: N_("Lector"),
    Role.AGENT: N_("Agente"),
    Role.ADMIN: N_("Administrador"),
    Role.OWNER: N_("Propietario"),
}
ROLES = _ORDER  # lowest first
