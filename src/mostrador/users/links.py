"""One-time links (invitations, password resets): a random token in the URL, its SHA-256 in the row.

There is no mail server: the link is written to the log, one obvious line an operator copies, e.g.
`INVITE LINK for ana@example.com: http://127.0.0.1:8000/invite/<token>` (docs/people.md).
"""

from __future__ import annotations

import logging
import secrets

from mostrador.users.sessions import token_hash

log = logging.getLogger("mostrador.links")

__all__ = ["announce", "new_token", "token_hash"]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def announce(kind: str, email: str, url: str) -> None:
    """Write the link where the operator sees it (WARNING: the default log level hides INFO)."""
    log.warning("%s LINK for %s: %s", kind, email, url)
