"""webhook endpoints made through the REST API remember the request's Idempotency-Key (hashed with the
API key's id), so the same create sent twice makes one endpoint

Revision ID: 0021
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None

INDEX = "ix_webhook_endpoints_create_key"


def upgrade() -> None:
    # A plain ADD COLUMN and a unique index (NULLs never collide): SQLite needs no table rebuild.
    op.add_column("webhook_endpoints", sa.Column("create_key", sa.String(length=64), nullable=True))
    op.create_index(INDEX, "webhook_endpoints", ["workspace_id", "create_key"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="webhook_endpoints")
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_column("create_key")
