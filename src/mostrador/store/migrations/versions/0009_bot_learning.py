"""bot learning: questions whose intents an agent confirmed (examples per account) and the account's
retraining revision

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bot_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=True),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("bot_intents", sa.JSON(), nullable=True),
        sa.Column("confirmed_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_bot_examples_workspace_id_workspaces")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_bot_examples_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_bot_examples_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by"], ["agents.id"], name=op.f("fk_bot_examples_confirmed_by_agents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_examples")),
        sa.UniqueConstraint("account_id", "question_id", name=op.f("uq_bot_examples_account_id")),
    )
    op.create_index("ix_bot_examples_workspace_id", "bot_examples", ["workspace_id"])
    op.create_index("ix_bot_examples_account_id", "bot_examples", ["account_id"])
    op.create_table(
        "bot_learning",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("trained_revision", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_bot_learning_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_bot_learning")),
    )


def downgrade() -> None:
    op.drop_table("bot_learning")
    op.drop_index("ix_bot_examples_account_id", table_name="bot_examples")
    op.drop_index("ix_bot_examples_workspace_id", table_name="bot_examples")
    op.drop_table("bot_examples")
