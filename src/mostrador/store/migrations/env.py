"""Alembic environment: the URL and connection come from `mostrador.store.migrate`, never from a file."""

from __future__ import annotations

from alembic import context

from mostrador.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through mostrador.store.migrate (it passes the connection)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
