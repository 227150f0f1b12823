"""dashboards: facts folded from conversations and claims, their daily aggregates (with response-time
histograms, one column per bucket) and the claims' monthly ones, the seller's orders and reputation as
read from Mercado Libre (see docs/dashboards.md)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None
BUCKETS = 31  # dashboards.histogram at the time of this revision


def histogram() -> list[sa.Column[int]]:
    return [sa.Column(f"h{i:02d}", sa.Integer(), nullable=False) for i in range(BUCKETS)]


def upgrade() -> None:
    op.create_table(
        "dash_watermarks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("position_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled", sa.BigInteger(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("backfill", sa.BigInteger(), nullable=True),
        sa.Column("lease_owner", sa.String(length=80), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("folded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_dash_watermarks")),
    )
    op.create_table(
        "dash_chat_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("replied", sa.Integer(), nullable=False),
        sa.Column("in_window", sa.Integer(), nullable=False),
        *histogram(),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_dash_chat_days_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dash_chat_days")),
        sa.UniqueConstraint("account_id", "day", name=op.f("uq_dash_chat_days_account_id")),
    )
    with op.batch_alter_table("dash_chat_days", schema=None) as batch_op:
        batch_op.create_index("ix_dash_chat_days_workspace_day", ["workspace_id", "day"], unique=False)

    op.create_table(
        "dash_chat_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replied_by", sa.String(length=10), nullable=True),
        sa.Column("response_s", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_dash_chat_turns_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dash_chat_turns")),
        sa.UniqueConstraint("message_id", name=op.f("uq_dash_chat_turns_message_id")),
    )
    with op.batch_alter_table("dash_chat_turns", schema=None) as batch_op:
        batch_op.create_index("ix_dash_chat_turns_account_day", ["account_id", "day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_dash_chat_turns_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            "ix_dash_chat_turns_open",
            ["account_id", "replied_at", "day", "deadline", "workspace_id"],
            unique=False,
        )

    op.create_table(
        "dash_chat_volume",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_dash_chat_volume_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dash_chat_volume")),
        sa.UniqueConstraint("conversation_id", "day", name=op.f("uq_dash_chat_volume_conversation_id")),
    )
    with op.batch_alter_table("dash_chat_volume", schema=None) as batch_op:
        batch_op.create_index("ix_dash_chat_volume_account_day", ["account_id", "day"], unique=False)

    op.create_table(
        "dash_claim_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=80), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=True),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("responded", sa.Integer(), nullable=False),
        sa.Column("disputed", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("for_seller", sa.Integer(), nullable=False),
        sa.Column("for_buyer", sa.Integer(), nullable=False),
        sa.Column("affected", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        *histogram(),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_dash_claim_days_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dash_claim_days")),
        sa.UniqueConstraint(
            "account_id", "day", "dimension", "value", name=op.f("uq_dash_claim_days_account_id")
        ),
    )
    with op.batch_alter_table("dash_claim_days", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dash_claim_days_lookup",
            ["workspace_id", "dimension", "day", "account_id", "value", "opened"],
            unique=False,
        )
        batch_op.create_index(
            "ix_dash_claim_days_value", ["workspace_id", "dimension", "value", "day"], unique=False
        )

    op.create_table(
        "dash_claim_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=80), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=True),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("responded", sa.Integer(), nullable=False),
        sa.Column("disputed", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("for_seller", sa.Integer(), nullable=False),
        sa.Column("for_buyer", sa.Integer(), nullable=False),
        sa.Column("affected", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        *histogram(),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_dash_claim_months_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dash_claim_months")),
        sa.UniqueConstraint(
            "account_id", "day", "dimension", "value", name=op.f("uq_dash_claim_months_account_id")
        ),
    )
    with op.batch_alter_table("dash_claim_months", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dash_claim_months_lookup",
            ["workspace_id", "dimension", "day", "account_id", "value", "opened"],
            unique=False,
        )
        batch_op.create_index(
            "ix_dash_claim_months_value", ["workspace_id", "dimension", "value", "day"], unique=False
        )

    op.create_table(
        "dash_question_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("by_bot", sa.Integer(), nullable=False),
        sa.Column("by_agent", sa.Integer(), nullable=False),
        sa.Column("by_seller", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.Column("handoffs", sa.JSON(), nullable=False),
        *histogram(),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_dash_question_days_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dash_question_days")),
        sa.UniqueConstraint("account_id", "day", name=op.f("uq_dash_question_days_account_id")),
    )
    with op.batch_alter_table("dash_question_days", schema=None) as batch_op:
        batch_op.create_index("ix_dash_question_days_workspace_day", ["workspace_id", "day"], unique=False)

    op.create_table(
        "dash_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=True),
        sa.Column("buyer_id", sa.String(length=64), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=10), nullable=True),
        sa.Column("response_s", sa.Integer(), nullable=True),
        sa.Column("handoff", sa.String(length=120), nullable=True),
        sa.Column("sold_order_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_dash_questions_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dash_questions")),
        sa.UniqueConstraint("message_id", name=op.f("uq_dash_questions_message_id")),
    )
    with op.batch_alter_table("dash_questions", schema=None) as batch_op:
        batch_op.create_index("ix_dash_questions_account_day", ["account_id", "day"], unique=False)
        batch_op.create_index(
            "ix_dash_questions_buyer_item", ["account_id", "buyer_id", "item_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dash_questions_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "dash_reputations",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("level_id", sa.String(length=30), nullable=True),
        sa.Column("power_seller_status", sa.String(length=30), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_dash_reputations_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_dash_reputations")),
    )
    op.create_table(
        "dash_sales",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=True),
        sa.Column("buyer_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=True),
        sa.Column("sold_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_dash_sales_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dash_sales")),
        sa.UniqueConstraint("account_id", "order_id", name=op.f("uq_dash_sales_account_id")),
    )
    with op.batch_alter_table("dash_sales", schema=None) as batch_op:
        batch_op.create_index("ix_dash_sales_buyer_item", ["account_id", "buyer_id", "item_id"], unique=False)

    with op.batch_alter_table("claim_records", schema=None) as batch_op:
        batch_op.create_index("ix_claim_records_updated", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("claim_records", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_records_updated")

    with op.batch_alter_table("dash_sales", schema=None) as batch_op:
        batch_op.drop_index("ix_dash_sales_buyer_item")

    op.drop_table("dash_sales")
    op.drop_table("dash_reputations")
    with op.batch_alter_table("dash_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dash_questions_conversation_id"))
        batch_op.drop_index("ix_dash_questions_buyer_item")
        batch_op.drop_index("ix_dash_questions_account_day")

    op.drop_table("dash_questions")
    with op.batch_alter_table("dash_question_days", schema=None) as batch_op:
        batch_op.drop_index("ix_dash_question_days_workspace_day")

    op.drop_table("dash_question_days")
    with op.batch_alter_table("dash_claim_months", schema=None) as batch_op:
        batch_op.drop_index("ix_dash_claim_months_value")
        batch_op.drop_index("ix_dash_claim_months_lookup")

    op.drop_table("dash_claim_months")
    with op.batch_alter_table("dash_claim_days", schema=None) as batch_op:
        batch_op.drop_index("ix_dash_claim_days_value")
        batch_op.drop_index("ix_dash_claim_days_lookup")

    op.drop_table("dash_claim_days")
    with op.batch_alter_table("dash_chat_volume", schema=None) as batch_op:
        batch_op.drop_index("ix_dash_chat_volume_account_day")

    op.drop_table("dash_chat_volume")
    with op.batch_alter_table("dash_chat_turns", schema=None) as batch_op:
        batch_op.drop_index("ix_dash_chat_turns_open")
        batch_op.drop_index(batch_op.f("ix_dash_chat_turns_conversation_id"))
        batch_op.drop_index("ix_dash_chat_turns_account_day")

    op.drop_table("dash_chat_turns")
    with op.batch_alter_table("dash_chat_days", schema=None) as batch_op:
        batch_op.drop_index("ix_dash_chat_days_workspace_day")

    op.drop_table("dash_chat_days")
    op.drop_table("dash_watermarks")
