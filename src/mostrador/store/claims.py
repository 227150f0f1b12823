"""Claim records: one row per claim, kept by the claims channel. Repositories flush but never commit:
the caller's transaction boundary does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mostrador.store.models import ClaimRecord
from mostrador.store.upsert import insert_ignore


def record_for(s: Session, account_id: int, claim_id: str) -> ClaimRecord | None:
    return s.scalars(
        select(ClaimRecord).where(ClaimRecord.account_id == account_id, ClaimRecord.claim_id == claim_id)
    ).first()


def record_of_conversation(s: Session, conversation_id: int) -> ClaimRecord | None:
    return s.scalars(select(ClaimRecord).where(ClaimRecord.conversation_id == conversation_id)).first()


def ensure_record(s: Session, values: dict[str, Any]) -> ClaimRecord:
    """The claim's record, created once (a concurrent ingest of the same claim finds the first one)."""
    insert_ignore(s, ClaimRecord.__table__, values, ["account_id", "claim_id"])  # type: ignore[arg-type]
    found = record_for(s, values["account_id"], values["claim_id"])
    assert found is not None
    return found


def mark_missed_due_dates(s: Session, account_id: int, now: datetime) -> int:
    """Open claims of the account whose due date passed while the action was the seller's (a claim has a
    due date only then): recorded as missed (once). Returns how many were newly marked."""
    result = s.execute(
        update(ClaimRecord)
        .where(
            ClaimRecord.account_id == account_id,
            ClaimRecord.status == "opened",
            ClaimRecord.due_date.is_not(None),
            ClaimRecord.due_date < now,
            ClaimRecord.due_missed_at.is_(None),
        )
        .values(due_missed_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def due_soon(s: Session, workspace_id: int, before: datetime) -> Sequence[ClaimRecord]:
    """Open claims of the workspace whose due date comes before `before` (and has not passed unnoticed),
    soonest first: what floats to the top of the inbox."""
    stmt = (
        select(ClaimRecord)
        .where(
            ClaimRecord.workspace_id == workspace_id,
            ClaimRecord.status == "opened",
            ClaimRecord.due_date.is_not(None),
            ClaimRecord.due_date < before,
        )
        .order_by(ClaimRecord.due_date)
    )
    return s.scalars(stmt).all()


def count_due_soon(s: Session, workspace_id: int, before: datetime) -> int:
    stmt = select(func.count()).where(
        ClaimRecord.workspace_id == workspace_id,
        ClaimRecord.status == "opened",
        ClaimRecord.due_date.is_not(None),
        ClaimRecord.due_date < before,
    )
    return int(s.scalar(stmt) or 0)


def records_of(s: Session, conversation_ids: Sequence[int]) -> dict[int, ClaimRecord]:
    if not conversation_ids:
        return {}
    stmt = select(ClaimRecord).where(ClaimRecord.conversation_id.in_(list(conversation_ids)))
    return {r.conversation_id: r for r in s.scalars(stmt)}
