"""Insert-or-ignore for both dialects: the basis of idempotent intake and conversation upserts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, table: Table, values: dict[str, Any], conflict: list[str]) -> int | None:
    """Insert a row unless `conflict` columns already match one; return the new id or None."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    stmt = stmt.returning(table.c.id)
    return session.execute(stmt).scalar_one_or_none()
