"""Daily aggregates from facts: what one account's day adds up to (pure functions of plain rows)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from mostrador.dashboards import histogram

# The dimensions claims are grouped by; "all" is every claim of the day once.
ALL, REASON, CATEGORY, TYPE, STAGE, ITEM = "all", "reason", "category", "type", "stage", "item"
CLAIM_DIMENSIONS = (ALL, REASON, CATEGORY, TYPE, STAGE, ITEM)
CLOSED = "closed"
AFFECTED = "affected"  # §9.3 affects_reputation
COMPLAINANT, RESPONDENT = "complainant", "respondent"  # §9.1 resolution.benefited


def question_days(account_id: int, workspace_id: int, rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Rows (day, answered_by, response_s, handoff, sold) → one aggregate per day."""
    days: dict[date, dict[str, Any]] = {}
    for day, answered_by, response_s, handoff, sold in rows:
        agg = days.setdefault(
            day,
            {
                "workspace_id": workspace_id,
                "account_id": account_id,
                "day": day,
                "asked": 0,
                "answered": 0,
                "by_bot": 0,
                "by_agent": 0,
                "by_seller": 0,
                "sold": 0,
                "hist": histogram.empty(),
                "handoffs": Counter(),
            },
        )
        agg["asked"] += 1
        if answered_by is not None:
            agg["answered"] += 1
            key = f"by_{answered_by}"
            if key in agg:
                agg[key] += 1
            agg["hist"][histogram.bucket(response_s or 0)] += 1
        if handoff:
            agg["handoffs"][handoff] += 1
        agg["sold"] += int(bool(sold))
    for agg in days.values():
        # Sorted: the facts come in whatever order the database returns them (PostgreSQL's changes with
        # its heap), and the same day must be stored the same way however it was folded.
        agg["handoffs"] = dict(sorted(agg["handoffs"].items()))
    return [_with_columns(agg) for agg in days.values()]


def chat_days(
    account_id: int, workspace_id: int, turns: Iterable[Any], volume: Iterable[Any]
) -> list[dict[str, Any]]:
    """Turns (day, replied_at, deadline, response_s) and volume (day, received, sent) → one row per day."""
    days: dict[date, dict[str, Any]] = defaultdict(dict)

    def day_row(day: date) -> dict[str, Any]:
        row = days[day]
        if not row:
            row.update(
                workspace_id=workspace_id,
                account_id=account_id,
                day=day,
                received=0,
                sent=0,
                turns=0,
                replied=0,
                in_window=0,
                hist=histogram.empty(),
            )
        return row

    for day, replied_at, deadline, response_s in turns:
        row = day_row(day)
        row["turns"] += 1
        if replied_at is not None:
            row["replied"] += 1
            row["in_window"] += int(_aware(replied_at) <= _aware(deadline))
            row["hist"][histogram.bucket(response_s or 0)] += 1
    for day, received, sent in volume:
        row = day_row(day)
        row["received"] += int(received or 0)
        row["sent"] += int(sent or 0)
    return [_with_columns(row) for row in days.values()]


@dataclass(frozen=True)
class ClaimRow:
    """A claim record as the claims fold reads it (`store.dashboards.claims_opened`)."""

    type: str | None
    stage: str | None
    status: str | None
    reason_id: str | None
    reason_name: str | None
    category: str | None
    affects_reputation: str | None
    item_id: str | None
    opened_at: datetime
    first_response_at: datetime | None
    disputed_at: datetime | None
    benefited: str | None
    due_missed_at: datetime | None

    def values(self) -> dict[str, tuple[str, str | None]]:
        """The claim's value (and label) in each dimension ("" when Mercado Libre did not say)."""
        return {
            ALL: ("", None),
            REASON: (self.reason_id or "", self.reason_name),
            CATEGORY: (self.category or "", None),
            TYPE: (self.type or "", None),
            STAGE: (self.stage or "", None),
            ITEM: (self.item_id or "", None),
        }

    def outcome(self) -> str | None:
        """Who the resolution favoured: `seller`, `buyer`, or None (open, both, or not said)."""
        if self.status != CLOSED or not self.benefited:
            return None
        who = set(self.benefited.split(","))
        if who == {RESPONDENT}:
            return "seller"
        if who == {COMPLAINANT}:
            return "buyer"
        return None


def claim_days(
    account_id: int, workspace_id: int, day: date, claims: Iterable[ClaimRow]
) -> list[dict[str, Any]]:
    """One account's claims opened on one day → one row per dimension value."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for claim in claims:
        first = claim.first_response_at
        response_s = (_aware(first) - _aware(claim.opened_at)).total_seconds() if first is not None else None
        closed = claim.status == CLOSED
        missed = claim.due_missed_at is not None
        outcome = claim.outcome()
        for dimension, (value, label) in claim.values().items():
            row = rows.get((dimension, value))
            if row is None:
                row = rows[(dimension, value)] = {
                    "workspace_id": workspace_id,
                    "account_id": account_id,
                    "day": day,
                    "dimension": dimension,
                    "value": value[:80],
                    "label": (label or None) and label[:80],
                    "opened": 0,
                    "responded": 0,
                    "disputed": 0,
                    "closed": 0,
                    "for_seller": 0,
                    "for_buyer": 0,
                    "affected": 0,
                    "missed": 0,
                    "met": 0,
                    "hist": histogram.empty(),
                }
            row["opened"] += 1
            if response_s is not None:
                row["responded"] += 1
                row["hist"][histogram.bucket(response_s)] += 1
            row["disputed"] += int(claim.disputed_at is not None)
            row["closed"] += int(closed)
            row["for_seller"] += int(outcome == "seller")
            row["for_buyer"] += int(outcome == "buyer")
            row["affected"] += int(claim.affects_reputation == AFFECTED)
            row["missed"] += int(missed)
            row["met"] += int(closed and not missed)
    return [_with_columns(row) for row in rows.values()]


def _with_columns(row: dict[str, Any]) -> dict[str, Any]:
    """The row to insert: its histogram as one column per bucket."""
    counts = row.pop("hist")
    return {**row, **histogram.as_columns(counts)}


def _aware(value: datetime) -> datetime:
    """Rows read back through Core on SQLite may be naive; they are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
