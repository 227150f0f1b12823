"""Connected seller accounts.

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from mostrador.store.models import Account, utcnow

CAN_CALL = ("active", "refresh_failing")  # statuses whose tokens may still call Mercado Libre


def account_by_meli_user(s: Session, meli_user_id: int) -> Account | None:
    return s.scalars(select(Account).where(Account.meli_user_id == meli_user_id)).first()


def accounts_of(s: Session, workspace_id: int) -> Sequence[Account]:
    return s.scalars(select(Account).where(Account.workspace_id == workspace_id).order_by(Account.id)).all()


def active_accounts(s: Session, workspace_id: int | None = None) -> Sequence[Account]:
    """Accounts that can call Mercado Libre, of one workspace or of all."""
    stmt = select(Account).where(Account.status.in_(CAN_CALL))
    if workspace_id is not None:
        stmt = stmt.where(Account.workspace_id == workspace_id)
    return s.scalars(stmt.order_by(Account.id)).all()


def claim_sweep(s: Session, swept_before: datetime, now: datetime) -> int | None:
    """The active account swept longest ago (never swept first) if its last sweep started before
    `swept_before`, marked as swept `now`; None when no account is due. The mark is a conditional
    update, so two passes running at once never take the same account."""
    due = or_(Account.swept_at.is_(None), Account.swept_at < swept_before)
    for _ in range(5):  # another pass may take the one we saw first
        account_id = _oldest_swept(s, swept_before)
        if account_id is None:
            return None
        taken = s.execute(
            update(Account)
            .where(Account.id == account_id, due)
            .values(swept_at=now, updated_at=Account.updated_at)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return int(account_id)
    return None


def _oldest_swept(s: Session, swept_before: datetime) -> int | None:
    """Two lookups the `swept_at` index answers without sorting every account: one never swept, else
    the one swept longest ago (before `swept_before`)."""
    active = Account.status.in_(CAN_CALL)
    never = s.scalar(
        select(Account.id).where(active, Account.swept_at.is_(None)).order_by(Account.id).limit(1)
    )
    if never is not None:
        return int(never)
    oldest = s.scalar(
        select(Account.id)
        .where(active, Account.swept_at < swept_before)
        .order_by(Account.swept_at, Account.id)
        .limit(1)
    )
    return None if oldest is None else int(oldest)


def mark_swept(s: Session, account_ids: Sequence[int], now: datetime) -> None:
    """Accounts swept outside the schedule (a full pass, an admin's sync) go to the back of its order."""
    if account_ids:
        s.execute(
            update(Account)
            .where(Account.id.in_(list(account_ids)))
            .values(swept_at=now, updated_at=Account.updated_at)
        )


def active_account_ids(s: Session, workspace_id: int | None = None) -> list[int]:
    """The ids of `active_accounts`: what the schedules need, without loading every account's row (with
    thousands of accounts, their bot settings' JSON alone is tens of megabytes a read)."""
    stmt = select(Account.id).where(Account.status.in_(CAN_CALL))
    if workspace_id is not None:
        stmt = stmt.where(Account.workspace_id == workspace_id)
    return [int(i) for i in s.scalars(stmt.order_by(Account.id))]


def first_active_account_id(s: Session) -> int | None:
    """One account whose tokens work now (to read what is the application's, e.g. the missed feeds)."""
    found = s.scalar(select(Account.id).where(Account.status == "active").order_by(Account.id).limit(1))
    return None if found is None else int(found)


def touch_account_notification(s: Session, account_id: int, at: datetime) -> None:
    s.execute(update(Account).where(Account.id == account_id).values(last_notification_at=at))


def take_refresh_lease(s: Session, account_id: int, seen_version: int, owner: str, until: datetime) -> bool:
    """Take the account's refresh lease if nobody holds a live one and the tokens are still `seen_version`."""
    now = utcnow()
    result = s.execute(
        update(Account)
        .where(
            Account.id == account_id,
            Account.token_version == seen_version,
            or_(Account.refresh_lease_until.is_(None), Account.refresh_lease_until < now),
        )
        .values(refresh_lease_owner=owner, refresh_lease_until=until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def store_refreshed_tokens(s: Session, account_id: int, seen_version: int, values: dict[str, Any]) -> bool:
    """Compare-and-swap on the token version alone: the first refresh of `seen_version` to come back wins,
    even if its lease expired meanwhile (refresh tokens are single use; dropping the newest pair would kill
    the grant). Returns False when another refresh already stored a newer pair."""
    result = s.execute(
        update(Account)
        .where(Account.id == account_id, Account.token_version == seen_version)
        .values(
            **values,
            token_version=Account.token_version + 1,
            refresh_lease_owner=None,
            refresh_lease_until=None,
            status="active",
            status_detail=None,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_refresh_lease(
    s: Session, account_id: int, owner: str, version: int, status: str | None, detail: str | None
) -> bool:
    """Clear our lease (and set the account's status) if we still hold it on `version`."""
    values: dict[str, Any] = {"refresh_lease_owner": None, "refresh_lease_until": None}
    if status is not None:
        values.update(status=status, status_detail=(detail or "")[:500])
    result = s.execute(
        update(Account)
        .where(
            Account.id == account_id,
            Account.refresh_lease_owner == owner,
            Account.token_version == version,
        )
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def all_accounts_for_update(s: Session) -> Sequence[Account]:
    """Every account, locked until the transaction ends (key rotation rewrites them all)."""
    return s.scalars(select(Account).order_by(Account.id).with_for_update()).all()


def all_accounts(s: Session) -> Sequence[Account]:
    return s.scalars(select(Account).order_by(Account.id)).all()
