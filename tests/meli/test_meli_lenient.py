"""The tolerant date-time and id types accept every spelling the API uses (§10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel

from mostrador.meli.lenient import MeliDatetime, StrId, parse_meli_datetime

MINUS_FOUR = timezone(timedelta(hours=-4))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-11-01T09:34:59.000-04:00", datetime(2024, 11, 1, 9, 34, 59, tzinfo=MINUS_FOUR)),
        ("2024-08-15T17:38:30.000-0400", datetime(2024, 8, 15, 17, 38, 30, tzinfo=MINUS_FOUR)),
        ("2025-01-21T13:44:33.006Z", datetime(2025, 1, 21, 13, 44, 33, 6000, tzinfo=UTC)),
        ("2021-02-08T17:51:21.746608612Z", datetime(2021, 2, 8, 17, 51, 21, 746608, tzinfo=UTC)),
        ("2024-09-06T16:24:26.636+00:00", datetime(2024, 9, 6, 16, 24, 26, 636000, tzinfo=UTC)),
        ("2016-02-24T15: 18: 42.000-04: 00", datetime(2016, 2, 24, 15, 18, 42, tzinfo=MINUS_FOUR)),
        ("2024-06-13", datetime(2024, 6, 13, tzinfo=UTC)),
        ("2019-04-08T20:58:49", datetime(2019, 4, 8, 20, 58, 49, tzinfo=UTC)),
    ],
)
def test_parses_every_documented_spelling(text: str, expected: datetime) -> None:
    parsed = parse_meli_datetime(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("garbage", ["", "   ", "yesterday", "2024-13-01T00:00:00Z", 1700000000, None])
def test_rejects_what_is_not_a_date_time(garbage: object) -> None:
    with pytest.raises(ValueError):
        parse_meli_datetime(garbage)


class _Sample(BaseModel):
    when: MeliDatetime | None = None
    ref: StrId | None = None


def test_model_fields_use_the_lenient_types() -> None:
    sample = _Sample.model_validate({"when": "2024-08-15T17:38:30.000-0400", "ref": 2000000089077943})
    assert sample.when is not None and sample.when.tzinfo is not None
    assert sample.ref == "2000000089077943"
    assert _Sample.model_validate({"when": None}).when is None


def test_str_id_refuses_booleans() -> None:
    with pytest.raises(ValueError):
        _Sample.model_validate({"ref": True})
