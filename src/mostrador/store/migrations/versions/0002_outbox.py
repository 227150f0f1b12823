"""outbox: every outgoing text, recorded with its send

Revision ID: 0002
Revises: 0001

`replies` becomes `outbox`: the same rows, plus the conversation, what the channel needs to post
(`params`), the send's drive number (fencing token of the workflow that owns it), the re-drive time,
the failure reason, and Mercado Libre's id once known.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("drive", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(length=200), nullable=True),
        sa.Column("deferrals", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.String(length=40), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("remote_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pending_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_outbox_account_id_accounts")),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_outbox_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_outbox_message_id_messages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("account_id", "channel", "target_id", name=op.f("uq_outbox_account_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index("ix_outbox_message_id", ["message_id"], unique=False)
    # Every reply of the old code was recorded with its message; one without would have no conversation.
    orphans = op.get_bind().execute(sa.text("SELECT count(*) FROM replies WHERE message_id IS NULL")).scalar()
    if orphans:
        raise RuntimeError(f"{orphans} replies have no message: fix or delete them before upgrading")
    # Pending rows are due at once: the re-drive schedule sends what the old code left pending.
    op.execute(
        """
        INSERT INTO outbox (id, account_id, conversation_id, message_id, channel, target_id, text, params,
                            status, attempts, drive, workflow_id, deferrals, next_attempt_at, failure,
                            last_error, remote_id, created_at, pending_since, sent_at)
        SELECT r.id, r.account_id, m.conversation_id, r.message_id, r.channel, r.target_id, r.text, m.meta,
               r.status, r.attempts, 1, NULL, 0, CASE WHEN r.status = 'pending' THEN r.created_at END,
               CASE WHEN r.status = 'failed' THEN 'rejected' END, r.last_error,
               NULL, r.created_at, r.created_at, r.sent_at
        FROM replies r JOIN messages m ON m.id = r.message_id
        """
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('outbox', 'id'), COALESCE(MAX(id), 0) + 1, false) "
            "FROM outbox"
        )
    op.drop_table("replies")


def downgrade() -> None:
    op.create_table(
        "replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_replies_account_id_accounts")),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_replies_message_id_messages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replies")),
        sa.UniqueConstraint("account_id", "channel", "target_id", name=op.f("uq_replies_account_id")),
    )
    op.execute(
        """
        INSERT INTO replies (id, account_id, channel, target_id, message_id, text, status, attempts,
                             last_error, created_at, sent_at)
        SELECT id, account_id, channel, target_id, message_id, text, status, attempts, last_error,
               created_at, sent_at
        FROM outbox
        """
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_id")
        batch_op.drop_index(batch_op.f("ix_outbox_conversation_id"))
        batch_op.drop_index("ix_outbox_due")
    op.drop_table("outbox")
