"""waiting: how many buyer texts of each conversation wait for an answer, and since when

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

from mostrador.store.waiting import waiting_of

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("waiting_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_conversations_workspace_waiting", ["workspace_id", "channel", "waiting_since"])
    _backfill(op.get_bind())


def _backfill(bind: Any) -> None:
    """Count what waits in the conversations recorded before this revision."""
    conversations = sa.table(
        "conversations",
        sa.column("id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("waiting_count", sa.Integer),
        sa.column("waiting_since", sa.DateTime(timezone=True)),
    )
    messages = sa.table(
        "messages",
        sa.column("conversation_id", sa.Integer),
        sa.column("direction", sa.String),
        sa.column("author", sa.String),
        sa.column("external_id", sa.String),
        sa.column("external_status", sa.String),
        sa.column("status", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    closed = {row.id: row.status == "closed" for row in bind.execute(sa.select(conversations))}
    rows: dict[int, list[Any]] = defaultdict(list)
    for row in bind.execute(sa.select(messages)):
        rows[row.conversation_id].append(row)
    for conversation_id, is_closed in closed.items():
        count, since = waiting_of(rows.get(conversation_id, []), closed=is_closed)
        if count:
            bind.execute(
                conversations.update()
                .where(conversations.c.id == conversation_id)
                .values(waiting_count=count, waiting_since=since)
            )


def downgrade() -> None:
    op.drop_index("ix_conversations_workspace_waiting", table_name="conversations")
    op.drop_column("conversations", "waiting_since")  # SQLite 3.35+ drops a column in place
    op.drop_column("conversations", "waiting_count")
