"""Fixtures for the Mercado Libre client tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from meli_fakes import FakeMeli, RecordingSleep, make_client

from mostrador.meli import MeliClient


@pytest.fixture
def fake() -> FakeMeli:
    return FakeMeli()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def client(fake: FakeMeli, sleep: RecordingSleep) -> AsyncIterator[MeliClient]:
    meli, http = make_client(fake, sleep)
    try:
        yield meli
    finally:
        await meli.aclose()
        await http.aclose()
