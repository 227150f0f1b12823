"""a failed delivery sent again ("recover") gets a fresh retry budget: the attempts it had before

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "webhook_deliveries",
        sa.Column("budget_from", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column("webhook_deliveries", sa.Column("recovered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("webhook_deliveries", "recovered_at")  # SQLite ≥ 3.35 drops them in place
    op.drop_column("webhook_deliveries", "budget_from")
