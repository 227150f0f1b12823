"""The claims dashboard: the funnel opened → first response → dispute → closed with its outcome, the share
that affects reputation, time to the first response, and due dates met and missed — in total, over
time, and grouped by reason, reason family, type, stage, item, account or period.

Definitions (docs/dashboards.md): a claim counts on the day it was opened; *first response* is the
first message the seller's side sent in it; *for the seller / for the buyer* is who the resolution
benefited (§9.1 `benefited`); a due date is *missed* when it passed while the action was the
seller's, *met* when the claim closed without one missed, *pending* while it is open.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from mostrador.context import AppContext
from mostrador.dashboards import aggregate, charts, rollups, words
from mostrador.dashboards.board import (
    Board,
    Chart,
    Tile,
    count_words,
    folded_at,
    percentile_tile,
    percentiles,
    scope,
    share_words,
    totals,
)
from mostrador.dashboards.filters import PERIODS, natural_period, period_of
from mostrador.dashboards.tables import AT_MOST, SHARE, TEXT, Column, Table, share
from mostrador.store import dashboards as store
from mostrador.store.db import transaction

PATH = "/dashboards/claims"
COUNTS = ("opened", "responded", "disputed", "closed", "for_seller", "for_buyer", "affected", "missed", "met")
DIMENSIONS = {
    aggregate.REASON: "motivo",
    aggregate.CATEGORY: "tipo de motivo",
    aggregate.TYPE: "tipo de reclamo",
    aggregate.STAGE: "etapa",
    aggregate.ITEM: "publicación",
}
GROUPS = {**DIMENSIONS, "account": "cuenta", **PERIODS}
DEFAULT_GROUP = aggregate.REASON
TOP_ITEMS = 50  # the page lists the items with most claims; the CSV has all of them
KEYS: dict[str, list[Column]] = {
    aggregate.REASON: [Column("reason_id", "Motivo", TEXT), Column("reason_name", "Nombre", TEXT)],
    aggregate.CATEGORY: [
        Column("category", "Código", TEXT, csv_only=True),
        Column("category_words", "Tipo de motivo", TEXT),
    ],
    aggregate.TYPE: [Column("type", "Código", TEXT, csv_only=True), Column("type_words", "Tipo", TEXT)],
    aggregate.STAGE: [Column("stage", "Código", TEXT, csv_only=True), Column("stage_words", "Etapa", TEXT)],
    aggregate.ITEM: [Column("item_id", "Publicación", TEXT)],
    "account": [Column("account_id", "Id", TEXT, csv_only=True), Column("account", "Cuenta", TEXT)],
    **{every: [Column("period", f"{label.capitalize()} desde", TEXT)] for every, label in PERIODS.items()},
}
FIGURES = [
    Column("opened", "Recibidos"),
    Column("responded", "Con primera respuesta"),
    Column("responded_share", "% con respuesta", SHARE),
    Column("disputed", "En mediación"),
    Column("closed", "Cerrados"),
    Column("for_seller", "A favor del vendedor"),
    Column("for_buyer", "A favor del comprador"),
    Column("affected", "Afectan reputación"),
    Column("affected_share", "% afectan reputación", SHARE),
    Column("due_met", "Plazo cumplido"),
    Column("due_missed", "Plazo vencido"),
    Column("due_pending", "Plazo en curso"),
    Column("first_response_p50_s", "1.ª respuesta, mediana", AT_MOST),
    Column("first_response_p90_s", "1.ª respuesta, p90", AT_MOST),
]


def build(ctx: AppContext, workspace_id: int, params: Mapping[str, str], *, every_row: bool = False) -> Board:
    """The page's figures; `every_row` (the CSV) keeps every item instead of the top ones."""
    with transaction(ctx.sessions) as s:
        found = scope(s, workspace_id, params, tuple(GROUPS), DEFAULT_GROUP)
        f, ids = found.filters, found.account_ids
        by_day = store.sums(
            s, store.CLAIM_DAYS, workspace_id, ids, f.start, f.end, COUNTS, ["day"], dimension=aggregate.ALL
        )
        by_group: Sequence[Any]
        if f.group_by in DIMENSIONS:
            values = None
            if f.group_by == aggregate.ITEM and not every_row:  # thousands of items: the top ones
                values = store.top_values(s, workspace_id, ids, f.start, f.end, aggregate.ITEM, TOP_ITEMS + 1)
            by_group = store.sums(
                s,
                store.CLAIM_DAYS,
                workspace_id,
                ids,
                f.start,
                f.end,
                COUNTS,
                ["value"],
                dimension=f.group_by,
                values=values,
                months=store.CLAIM_MONTHS,
            )
        elif f.group_by == "account":
            by_group = store.sums(
                s,
                store.CLAIM_DAYS,
                workspace_id,
                ids,
                f.start,
                f.end,
                COUNTS,
                ["account_id"],
                dimension=aggregate.ALL,
                months=store.CLAIM_MONTHS,
            )
        else:
            by_group = by_day
        fresh = folded_at(s, rollups.CLAIMS)
    board = Board(PATH, "Reclamos", f, found.accounts, GROUPS, folded_at=fresh)
    total = totals(by_day, COUNTS)
    board.tiles = _tiles(total)
    board.charts = _charts(total, by_day, natural_period(f))
    nicknames = {a.id: a.nickname for a in found.accounts}
    board.tables = [_group_table(f.group_by, by_group, nicknames)]
    if f.group_by == aggregate.ITEM and len(by_group) > TOP_ITEMS and not every_row:
        board.tables[0].rows = board.tables[0].rows[:TOP_ITEMS]
        board.tables[0].note = f"Las {TOP_ITEMS} publicaciones con más reclamos; el CSV tiene todas."
    return board


def _tiles(t: dict[str, Any]) -> list[Tile]:
    opened, closed = t["opened"], t["closed"]
    pending = opened - t["met"] - t["missed"]
    return [
        Tile("opened", "Reclamos recibidos", count_words(opened), opened),
        Tile("responded", "Con primera respuesta", count_words(t["responded"]), t["responded"],
             share_words(t["responded"], opened)),
        Tile("disputed", "Pasaron a mediación", count_words(t["disputed"]), t["disputed"],
             share_words(t["disputed"], opened)),
        Tile("closed", "Cerrados", count_words(closed), closed, share_words(closed, opened)),
        Tile("for_seller", "A favor del vendedor", count_words(t["for_seller"]), t["for_seller"],
             f"{share_words(t['for_seller'], closed)} de los cerrados"),
        Tile("for_buyer", "A favor del comprador", count_words(t["for_buyer"]), t["for_buyer"],
             f"{share_words(t['for_buyer'], closed)} de los cerrados"),
        Tile("affected", "Afectan la reputación", share_words(t["affected"], opened), t["affected"],
             f"{count_words(t['affected'])} de {count_words(opened)}"),
        percentile_tile("first_response_p50", "Primera respuesta, mediana", t["hist"], 50),
        percentile_tile("first_response_p90", "Primera respuesta, p90", t["hist"], 90),
        Tile("due_met", "Plazos cumplidos", count_words(t["met"]), t["met"]),
        Tile("due_missed", "Plazos vencidos", count_words(t["missed"]), t["missed"]),
        Tile("due_pending", "Plazos en curso", count_words(pending), pending),
    ]  # fmt: skip


def _charts(t: dict[str, Any], by_day: Sequence[Any], every: str) -> list[Chart]:
    opened, closed = t["opened"], t["closed"]
    funnel = charts.bars(
        "Embudo de reclamos",
        [
            ("opened", "Recibidos", opened),
            ("responded", "Con primera respuesta", t["responded"]),
            ("disputed", "Pasaron a mediación", t["disputed"]),
            ("closed", "Cerrados", closed),
        ],
        of=opened,
    )
    outcome = charts.split(
        "Resultado de los reclamos",
        [
            charts.Part("for_seller", "a favor del vendedor", t["for_seller"], charts.GREEN),
            charts.Part("for_buyer", "a favor del comprador", t["for_buyer"], charts.RED),
            charts.Part("other", "cerrados sin dato", closed - t["for_seller"] - t["for_buyer"], charts.GREY),
            charts.Part("open", "siguen abiertos", opened - closed, charts.BLUE),
        ],
    )
    due = charts.split(
        "Plazos de Mercado Libre",
        [
            charts.Part("met", "cumplidos", t["met"], charts.GREEN),
            charts.Part("missed", "vencidos", t["missed"], charts.RED),
            charts.Part("pending", "en curso", opened - t["met"] - t["missed"], charts.AMBER),
        ],
    )
    series: dict[Any, dict[str, int]] = defaultdict(lambda: {"opened": 0, "affected": 0})
    for row in sorted(by_day, key=lambda r: r.day):
        point = series[period_of(row.day, every)]
        point["opened"] += int(row.opened - row.affected)
        point["affected"] += int(row.affected)
    over_time = charts.columns(
        f"Reclamos recibidos por {PERIODS[every]}",
        [(day.strftime("%d/%m"), values) for day, values in sorted(series.items())],
        [
            charts.Series("opened", "no afectan la reputación", charts.BLUE),
            charts.Series("affected", "afectan la reputación", charts.RED),
        ],
    )
    return [
        Chart("Embudo", funnel, "De los reclamos recibidos en el período, cuántos llegaron a cada paso."),
        Chart("Resultado", outcome),
        Chart("Plazos", due, "Vencido: el plazo pasó con la acción a cargo del vendedor."),
        Chart(f"Por {PERIODS[every]}", over_time),
    ]


def _group_table(group_by: str, rows: Sequence[Any], nicknames: dict[int, str]) -> Table:
    table = Table("groups", f"Por {GROUPS[group_by]}", KEYS[group_by] + FIGURES)
    if group_by in PERIODS:
        merged: dict[Any, list[Any]] = defaultdict(list)
        for row in rows:
            merged[period_of(row.day, group_by)].append(row)
        items = sorted((period, totals(found, COUNTS)) for period, found in merged.items())
        table.rows = [{"period": period, **_figures(t)} for period, t in items]
        return table
    for row in rows:
        t = totals([row], COUNTS)
        table.rows.append({**_keys(group_by, row, nicknames), **_figures(t)})
    table.rows.sort(key=lambda r: (-r["opened"], str(r.get(KEYS[group_by][0].key) or "")))
    return table


def _keys(group_by: str, row: Any, nicknames: dict[int, str]) -> dict[str, Any]:
    if group_by == "account":
        return {"account_id": row.account_id, "account": nicknames.get(row.account_id, str(row.account_id))}
    value = row.value or None
    if group_by == aggregate.REASON:
        return {"reason_id": value, "reason_name": row.label}
    if group_by == aggregate.CATEGORY:
        return {"category": value, "category_words": words.category(value)}
    if group_by == aggregate.TYPE:
        return {"type": value, "type_words": words.claim_type(value)}
    if group_by == aggregate.STAGE:
        return {"stage": value, "stage_words": words.claim_stage(value)}
    return {"item_id": value}


def _figures(t: dict[str, Any]) -> dict[str, Any]:
    found = percentiles(t["hist"], 50, 90)
    return {
        **{
            name: t[name] for name in ("opened", "responded", "disputed", "closed", "for_seller", "for_buyer")
        },
        "responded_share": share(t["responded"], t["opened"]),
        "affected": t["affected"],
        "affected_share": share(t["affected"], t["opened"]),
        "due_met": t["met"],
        "due_missed": t["missed"],
        "due_pending": t["opened"] - t["met"] - t["missed"],
        "first_response_p50_s": found["p50"],
        "first_response_p90_s": found["p90"],
    }
