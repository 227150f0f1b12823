"""limits: Mercado Libre budgets shared by every process

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table: plain CREATE TABLE on both dialects (SQLite batch mode is only needed to alter one).
    op.create_table(
        "api_budgets",
        sa.Column("application", sa.String(length=64), nullable=False),
        sa.Column("family", sa.String(length=40), nullable=False),
        sa.Column("tat", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("application", "family", name=op.f("pk_api_budgets")),
    )


def downgrade() -> None:
    op.drop_table("api_budgets")
