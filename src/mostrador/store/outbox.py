"""Outgoing texts, recorded before they are sent.

Repositories flush but never commit: the caller's transaction boundary does.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mostrador.store.models import (
    Reply,
    utcnow,
)
from mostrador.store.upsert import insert_ignore


def claim_reply(
    s: Session, account_id: int, channel: str, target_id: str, text: str, message_id: int
) -> Reply:
    """Record the reply for a target once; a second call returns the existing row untouched."""
    values = {
        "account_id": account_id,
        "channel": channel,
        "target_id": target_id,
        "text": text,
        "message_id": message_id,
        "status": "pending",
        "attempts": 0,
        "created_at": utcnow(),
    }
    insert_ignore(s, Reply.__table__, values, ["account_id", "channel", "target_id"])  # type: ignore[arg-type]
    return reply_for(s, account_id, channel, target_id)  # type: ignore[return-value]


def reply_for(s: Session, account_id: int, channel: str, target_id: str) -> Reply | None:
    return s.scalars(
        select(Reply).where(
            Reply.account_id == account_id, Reply.channel == channel, Reply.target_id == target_id
        )
    ).first()
