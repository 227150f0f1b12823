"""Login throttling, shared by every process through the database.

After EMAIL_LIMIT failures for one e-mail, or CLIENT_LIMIT from one client address, within WINDOW,
further attempts are refused without checking the password until the oldest of those failures is
WINDOW old. Unknown e-mails count exactly like known ones, so the refusal says nothing about whether
an account exists; refused attempts are not counted, so a guesser cannot keep a user locked out for
longer than WINDOW. A successful login clears its e-mail's failures (not the address's: one good
account must not reset a guesser's budget). Two attempts racing may both pass the check: the limit
can be exceeded by the number of concurrent requests, never more.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import utcnow

EMAIL_LIMIT = 5
CLIENT_LIMIT = 30
WINDOW = timedelta(minutes=15)


def retry_after_s(
    s: Session, email: str, client: str, now: datetime, excluding: int | None = None
) -> int | None:
    """Seconds until an attempt for this e-mail from this client may be tried, or None if it may now."""
    since = now - WINDOW
    waits = []
    for limit, recent in (
        (EMAIL_LIMIT, people_store.recent_failures(s, since, EMAIL_LIMIT, email=email, excluding=excluding)),
        (
            CLIENT_LIMIT,
            people_store.recent_failures(s, since, CLIENT_LIMIT, client=client, excluding=excluding),
        ),
    ):
        if len(recent) >= limit:  # the limit-th newest failure leaving the window lifts the refusal
            waits.append((recent[limit - 1] + WINDOW - now).total_seconds())
    return max(1, math.ceil(max(waits))) if waits else None


def record_failure(s: Session, email: str, client: str, now: datetime) -> int:
    return people_store.add_login_failure(s, email, client, now)


def begin_attempt(s: Session, email: str, client: str, now: datetime) -> int | None:
    """Count an attempt before its password is checked: it is recorded as a failure at once (and taken
    back on success), so attempts in flight at the same moment see each other. Returns its id, or None
    when the e-mail or the client already failed too often (then nothing is recorded)."""
    people_store.lock_logins_of(s, email)
    # Written before it is counted: the write takes SQLite's write lock, so concurrent attempts queue
    # here and each counts the ones before it.
    attempt = record_failure(s, email, client, now)
    if retry_after_s(s, email, client, now, excluding=attempt) is not None:
        people_store.delete_login_failure(s, attempt)  # refused attempts are not counted
        return None
    return attempt


def clear(s: Session, email: str) -> None:
    people_store.delete_login_failures_of(s, email)


def purge(sessions: sessionmaker[Session], now: datetime | None = None) -> int:
    """Forget failures that no longer count (housekeeping); returns how many."""
    with transaction(sessions) as s:
        return people_store.delete_login_failures_before(s, (now or utcnow()) - WINDOW)
