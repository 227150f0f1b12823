"""Connected seller accounts.

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mostrador.store.models import (
    Account,
)


def account_by_meli_user(s: Session, meli_user_id: int) -> Account | None:
    return s.scalars(select(Account).where(Account.meli_user_id == meli_user_id)).first()


def accounts_of(s: Session, workspace_id: int) -> Sequence[Account]:
    return s.scalars(select(Account).where(Account.workspace_id == workspace_id).order_by(Account.id)).all()


def active_accounts(s: Session, workspace_id: int | None = None) -> Sequence[Account]:
    """Accounts that can call Mercado Libre, of one workspace or of all."""
    stmt = select(Account).where(Account.status.in_(("active", "refresh_failing")))
    if workspace_id is not None:
        stmt = stmt.where(Account.workspace_id == workspace_id)
    return s.scalars(stmt.order_by(Account.id)).all()


def touch_account_notification(s: Session, account_id: int, at: datetime) -> None:
    s.execute(update(Account).where(Account.id == account_id).values(last_notification_at=at))
