"""Fixtures for app-level tests: a migrated database and a connected account row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from mostrador.context import AppContext, build_context
from mostrador.settings import Settings
from mostrador.store import migrate
from mostrador.store import repositories as repo
from mostrador.store.db import transaction
from mostrador.store.models import Account

SELLER_ID = 2_200_000_001


@pytest.fixture
def ctx(settings: Settings) -> Iterator[AppContext]:
    context = build_context(settings)
    migrate.upgrade(context.engine)
    yield context
    context.engine.dispose()


@pytest.fixture
def account_id(ctx: AppContext) -> int:
    with transaction(ctx.sessions) as s:
        ws = repo.get_or_create_workspace(s, "w1")
        acc = Account(
            workspace_id=ws.id,
            meli_user_id=SELLER_ID,
            nickname="SELLER1",
            site_id="MLA",
            access_token_enc=ctx.cipher.encrypt("APP_USR-1-2-3-4"),
            refresh_token_enc=ctx.cipher.encrypt("TG-abc-4"),
            token_expires_at=datetime.now(UTC) + timedelta(hours=6),
        )
        s.add(acc)
        s.flush()
        return acc.id
