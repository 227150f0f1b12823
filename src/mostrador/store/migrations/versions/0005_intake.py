"""intake: notification dispatch retries, and an index to number a resource's notifications

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatch_attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_dispatch_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dispatch_error", sa.String(length=500), nullable=True))
        batch_op.create_index("ix_notifications_resource", ["topic", "resource_id", "id"], unique=False)


def downgrade() -> None:
    # Code before this revision knows no `dispatch_failed`: hand those rows back to its dispatcher.
    op.execute("UPDATE notifications SET status = 'accepted' WHERE status = 'dispatch_failed'")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_resource")
        batch_op.drop_column("dispatch_error")
        batch_op.drop_column("next_dispatch_at")
        batch_op.drop_column("dispatch_attempts")
