"""claims: one queryable record per claim (the cockpit's sorting, alerts and dashboards)

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("reason_id", sa.String(length=20), nullable=True),
        sa.Column("reason_name", sa.String(length=80), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("affects_reputation", sa.String(length=20), nullable=True),
        sa.Column("has_incentive", sa.Boolean(), nullable=True),
        sa.Column("item_id", sa.String(length=40), nullable=True),
        sa.Column("order_id", sa.String(length=32), nullable=True),
        sa.Column("buyer_id", sa.String(length=32), nullable=True),
        sa.Column("due_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_action", sa.String(length=40), nullable=True),
        sa.Column("due_missed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_by", sa.String(length=10), nullable=True),
        sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=40), nullable=True),
        sa.Column("benefited", sa.String(length=40), nullable=True),
        sa.Column("closed_by", sa.String(length=20), nullable=True),
        sa.Column("auto_rule", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_claim_records_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_claim_records_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_claim_records_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_records")),
        sa.UniqueConstraint("account_id", "claim_id", name=op.f("uq_claim_records_account_id")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_claim_records_conversation_id")),
    )
    with op.batch_alter_table("claim_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claim_records_workspace_opened", ["workspace_id", "opened_at"], unique=False
        )
        batch_op.create_index(
            "ix_claim_records_workspace_due", ["workspace_id", "status", "due_date"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("claim_records", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_records_workspace_due")
        batch_op.drop_index("ix_claim_records_workspace_opened")
    op.drop_table("claim_records")
