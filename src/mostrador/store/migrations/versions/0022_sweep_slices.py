"""when each account's sweeps last started, so a scheduled pass sweeps a slice of the accounts (the
oldest first) instead of every account every time

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("swept_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_accounts_swept_at", "accounts", ["swept_at"])  # the pass's oldest-swept lookup


def downgrade() -> None:
    op.drop_index("ix_accounts_swept_at", table_name="accounts")
    op.drop_column("accounts", "swept_at")  # SQLite ≥ 3.35 drops it in place (no table copy)
