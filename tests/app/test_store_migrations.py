"""Migrations run up, down and up again on the configured database, and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from mostrador.settings import Settings
from mostrador.store import migrate
from mostrador.store.db import make_engine
from mostrador.store.models import Base


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
