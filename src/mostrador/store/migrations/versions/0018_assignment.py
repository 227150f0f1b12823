"""assignment and takeover: a conversation's assignee, who took it over from the bot, presence

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

COLUMNS = ("assignee_id", "taken_by_id", "taken_at", "bot_resumed_at")


def upgrade() -> None:
    # Plain ADD COLUMNs (no foreign key, see the model): SQLite takes them without rebuilding the table.
    op.add_column("conversations", sa.Column("assignee_id", sa.Integer(), nullable=True))
    op.add_column("conversations", sa.Column("taken_by_id", sa.Integer(), nullable=True))
    op.add_column("conversations", sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("conversations", sa.Column("bot_resumed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_conversations_workspace_assignee", "conversations", ["workspace_id", "assignee_id"])
    op.create_table(
        "presence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["agents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "user_id"),
    )
    op.create_index("ix_presence_seen_at", "presence", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_presence_seen_at", table_name="presence")
    op.drop_table("presence")
    op.drop_index("ix_conversations_workspace_assignee", table_name="conversations")
    for column in reversed(COLUMNS):  # SQLite 3.35+ drops a column no index or constraint covers
        op.drop_column("conversations", column)
