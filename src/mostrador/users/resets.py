"""Password reset by one-time link ("¿Olvidaste tu contraseña?").

`request` answers nothing: the page says the same whether or not the e-mail has an account, so it
cannot be used to learn who has one. A request is recorded either way (with a token only for a real,
present user) so both cost the same and are throttled alike: after PER_EMAIL requests for one e-mail,
or PER_CLIENT from one address, within WINDOW, further ones are dropped without a trace in the answer.
The link works once, for `password_reset_lifetime_s`; using it sets the password, ends every session of
the user and logs them in anew.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from mostrador.security.passwords import hash_password
from mostrador.store import audit
from mostrador.store import links as links_store
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import PasswordReset, utcnow
from mostrador.users import links
from mostrador.users import sessions as user_sessions
from mostrador.users.errors import LinkExpired, LinkInvalid, PasswordsDiffer

PER_EMAIL = 3
PER_CLIENT = 10
WINDOW = timedelta(hours=1)


def request(
    sessions: sessionmaker[Session],
    email: str,
    client: str,
    public_url: str,
    lifetime: timedelta,
    now: datetime | None = None,
) -> None:
    """Send (log) a reset link when `email` is a present user and the requests are within limits."""
    now = now or utcnow()
    email, client = email.strip().lower()[:254], (client or "unknown")[:64]
    token = links.new_token()
    with transaction(sessions) as s:
        people_store.lock_logins_of(s, email)
        since = now - WINDOW
        if (
            links_store.count_resets(s, since, email=email) >= PER_EMAIL
            or links_store.count_resets(s, since, client=client) >= PER_CLIENT
        ):
            return
        user = people_store.user_by_email(s, email)
        present = user is not None and user.removed_at is None
        links_store.add_reset(
            s,
            email,
            client,
            user.id if present and user is not None else None,
            links.token_hash(token) if present else None,
            now,
            now + lifetime,
        )
    if present:
        links.announce("PASSWORD RESET", email, f"{public_url.rstrip('/')}/password/reset/{token}")


def check(sessions: sessionmaker[Session], token: str, now: datetime | None = None) -> str:
    """The e-mail the link resets; LinkInvalid / LinkExpired when it cannot be used."""
    with transaction(sessions) as s:
        return _usable(s, token, now or utcnow()).email


def use(
    sessions: sessionmaker[Session],
    token: str,
    new: str,
    again: str,
    now: datetime | None = None,
    policy: user_sessions.SessionPolicy = user_sessions.DEFAULT_POLICY,
) -> str:
    """Set the new password, end every session of the user, open a new one; returns its token."""
    now = now or utcnow()
    with transaction(sessions) as s:
        _usable(s, token, now)
    if new != again:
        raise PasswordsDiffer(PasswordsDiffer.__doc__)
    hashed = hash_password(new)  # raises WeakPassword
    with transaction(sessions) as s:
        if not links_store.use_reset(s, links.token_hash(token), now):
            _usable(s, token, now)  # says why: used (a second submit racing this one) or expired
            raise LinkInvalid(LinkInvalid.__doc__)
        row = links_store.reset_by_token(s, links.token_hash(token))
        if row is None or row.user_id is None:
            raise LinkInvalid(LinkInvalid.__doc__)
        user = people_store.user_by_id(s, row.user_id)
        if user is None or user.removed_at is not None:
            raise LinkInvalid(LinkInvalid.__doc__)
        people_store.set_password_hash(s, user.id, hashed)
        people_store.delete_sessions_of(s, user.id)
        links_store.use_resets_of(s, user.id, now)  # any other link sent before stops working too
        people_store.delete_login_failures_of(s, user.email)
        audit.record(s, user.workspace_id, user.id, "password.reset", user.email, {}, now)
        return user_sessions.start(s, user.id, now, policy)


def purge(sessions: sessionmaker[Session], now: datetime | None = None) -> int:
    """Forget requests whose link is dead and which no longer count for throttling (housekeeping)."""
    with transaction(sessions) as s:
        return links_store.delete_resets_before(s, (now or utcnow()) - WINDOW)


def _usable(s: Session, token: str, now: datetime) -> PasswordReset:
    row = links_store.reset_by_token(s, links.token_hash(token))
    if row is None or row.used_at is not None:
        raise LinkInvalid(LinkInvalid.__doc__)
    if row.expires_at <= now:
        raise LinkExpired(LinkExpired.__doc__)
    return row
