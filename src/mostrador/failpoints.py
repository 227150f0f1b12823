"""Named crash points: a test makes the process die at one exact place, as a power cut would.

Off unless `MOSTRADOR_FAILPOINTS` names them (tests only; FoundationDB's and TiKV's habit). A named
point ends the process at once with `os._exit` — no cleanup, no shutdown hooks, like SIGKILL — so a test
can prove that what was recorded before that point is never lost.

| name | where |
|---|---|
| `reply_recorded` | an agent's reply is committed to the outbox, its send not yet scheduled (web/inbox.py) |
"""

from __future__ import annotations

import logging
import os

from mostrador.settings import Settings

EXIT_STATUS = 86
log = logging.getLogger(__name__)


def reached(settings: Settings, name: str) -> None:
    """Die here if the failpoint `name` is switched on."""
    if name in {n.strip() for n in settings.failpoints.split(",") if n.strip()}:
        log.error("failpoint %s reached: exiting with status %d", name, EXIT_STATUS)
        os._exit(EXIT_STATUS)
