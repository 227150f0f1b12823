"""Migrations run up, down and up again on the configured database, and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from mostrador.settings import Settings
from mostrador.store import migrate
from mostrador.store.db import make_engine
from mostrador.store.models import Base, OutboxEntry


def test_upgrade_downgrade_upgrade(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"accounts", "notifications", "conversations", "messages", "outbox"} <= tables
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert "accounts" in inspect(engine).get_table_names()
    engine.dispose()


def test_migrations_match_models(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


def test_the_old_replies_become_outbox_entries_and_back(settings: Settings) -> None:
    """0002 carries every reply of the old code into the outbox (pending ones due at once, with what
    their channel needs to post them), keeps the id sequence going, and downgrades back."""
    from datetime import UTC, datetime

    from sqlalchemy import MetaData, Table, insert, select

    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine, "0001")
    old = MetaData()
    tables = {
        name: Table(name, old, autoload_with=engine)
        for name in ("workspaces", "accounts", "contacts", "conversations", "messages", "replies")
    }
    at = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(tables["workspaces"]).values(id=1, name="w", created_at=at))
        conn.execute(
            insert(tables["accounts"]).values(
                id=1,
                workspace_id=1,
                meli_user_id=7,
                nickname="S",
                site_id="MLA",
                access_token_enc="",
                refresh_token_enc="",
                token_version=0,
                status="active",
                created_at=at,
                updated_at=at,
            )
        )
        conn.execute(insert(tables["contacts"]).values(id=1, workspace_id=1, display_name="B", created_at=at))
        conn.execute(
            insert(tables["conversations"]).values(
                id=1,
                workspace_id=1,
                account_id=1,
                contact_id=1,
                channel="messages",
                external_key="99",
                subject="",
                status="open",
                owner="agent",
                last_message_at=at,
                created_at=at,
            )
        )
        for n, (status, meta) in enumerate(
            [("pending", {"to_user_id": "55"}), ("failed", {"error": "rejected: 403"}), ("sent", None)], 1
        ):
            conn.execute(
                insert(tables["messages"]).values(
                    id=n,
                    conversation_id=1,
                    direction="out",
                    author="agent",
                    external_id=f"reply:{n}",
                    text=f"t{n}",
                    status=status,
                    meta=meta,
                    created_at=at,
                )
            )
            conn.execute(
                insert(tables["replies"]).values(
                    id=n,
                    account_id=1,
                    channel="messages",
                    target_id=f"99:{n}",
                    message_id=n,
                    text=f"t{n}",
                    status=status,
                    attempts=1,
                    created_at=at,
                )
            )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(OutboxEntry.__table__).order_by("id"))}
    assert [rows[n].status for n in (1, 2, 3)] == ["pending", "failed", "sent"]
    assert rows[1].params == {"to_user_id": "55"} and rows[1].next_attempt_at is not None
    assert rows[2].failure == "rejected" and rows[3].next_attempt_at is None
    assert {r.conversation_id for r in rows.values()} == {1} and {r.drive for r in rows.values()} == {1}
    with engine.begin() as conn:  # the id sequence continues after the carried rows (PostgreSQL)
        new = conn.execute(
            insert(OutboxEntry.__table__).values(
                account_id=1,
                conversation_id=1,
                channel="messages",
                target_id="99:new",
                text="x",
                status="pending",
                attempts=0,
                drive=1,
                deferrals=0,
                created_at=at,
                pending_since=at,
            )
        ).inserted_primary_key
        assert new is not None and new[0] > 3
    migrate.downgrade(engine, "0001")
    with engine.connect() as conn:
        back = Table("replies", MetaData(), autoload_with=conn)
        assert {r.target_id for r in conn.execute(select(back))} == {"99:1", "99:2", "99:3", "99:new"}
    engine.dispose()
