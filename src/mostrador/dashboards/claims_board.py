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
from mostrador.dashboards import aggregate, charts, numbers, rollups, words
from mostrador.dashboards.board import (
    Board,
    Chart,
    Tile,
    count_words,
    folded_at,
    part_of_words,
    percentile_tile,
    percentiles,
    scope,
    share_words,
    totals,
)
from mostrador.dashboards.filters import BY_PERIOD, PERIOD_STARTS, PERIODS, natural_period, period_of
from mostrador.dashboards.tables import AT_MOST, SHARE, TEXT, Column, Table, share, translated
from mostrador.i18n import N_
from mostrador.i18n import gettext as _
from mostrador.store import dashboards as store
from mostrador.store.db import transaction

PATH = "/dashboards/claims"
COUNTS = ("opened", "responded", "disputed", "closed", "for_seller", "for_buyer", "affected", "missed", "met")
DIMENSIONS = {
    aggregate.REASON: N_("motivo"),
    aggregate.CATEGORY: N_("tipo de motivo"),
    aggregate.TYPE: N_("tipo de reclamo"),
    aggregate.STAGE: N_("etapa"),
    aggregate.ITEM: N_("publicación"),
}
GROUPS = {**DIMENSIONS, "account": N_("cuenta"), **PERIODS}
GROUP_TITLES = {  # the grouped table's title
    aggregate.REASON: N_("Por motivo"),
    aggregate.CATEGORY: N_("Por tipo de motivo"),
    aggregate.TYPE: N_("Por tipo de reclamo"),
    aggregate.STAGE: N_("Por etapa"),
    aggregate.ITEM: N_("Por publicación"),
    "account": N_("Por cuenta"),
    **BY_PERIOD,
}
OVER_TIME = {
    "day": N_("Reclamos recibidos por día"),
    "week": N_("Reclamos recibidos por semana"),
    "month": N_("Reclamos recibidos por mes"),
}
DEFAULT_GROUP = aggregate.REASON
TOP_ITEMS = 50  # the page lists the items with most claims; the CSV has all of them
KEYS: dict[str, list[Column]] = {
    aggregate.REASON: [Column("reason_id", N_("Motivo"), TEXT), Column("reason_name", N_("Nombre"), TEXT)],
    aggregate.CATEGORY: [
        Column("category", N_("Código"), TEXT, csv_only=True),
        Column("category_words", N_("Tipo de motivo"), TEXT),
    ],
    aggregate.TYPE: [
        Column("type", N_("Código"), TEXT, csv_only=True),
        Column("type_words", N_("Tipo"), TEXT),
    ],
    aggregate.STAGE: [
        Column("stage", N_("Código"), TEXT, csv_only=True),
        Column("stage_words", N_("Etapa"), TEXT),
    ],
    aggregate.ITEM: [Column("item_id", N_("Publicación"), TEXT)],
    "account": [Column("account_id", N_("Id"), TEXT, csv_only=True), Column("account", N_("Cuenta"), TEXT)],
    **{every: [Column("period", label, TEXT)] for every, label in PERIOD_STARTS.items()},
}
FIGURES = [
    Column("opened", N_("Recibidos")),
    Column("responded", N_("Con primera respuesta")),
    Column("responded_share", N_("%% con respuesta"), SHARE),
    Column("disputed", N_("En mediación")),
    Column("closed", N_("Cerrados")),
    Column("for_seller", N_("A favor del vendedor")),
    Column("for_buyer", N_("A favor del comprador")),
    Column("affected", N_("Afectan reputación")),
    Column("affected_share", N_("%% afectan reputación"), SHARE),
    Column("due_met", N_("Plazo cumplido")),
    Column("due_missed", N_("Plazo vencido")),
    Column("due_pending", N_("Plazo en curso")),
    Column("first_response_p50_s", N_("1.ª respuesta, mediana"), AT_MOST),
    Column("first_response_p90_s", N_("1.ª respuesta, p90"), AT_MOST),
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
    group_words = {key: _(label) for key, label in GROUPS.items()}
    board = Board(PATH, _("Reclamos"), f, found.accounts, group_words, folded_at=fresh)
    total = totals(by_day, COUNTS)
    board.tiles = _tiles(total)
    board.charts = _charts(total, by_day, natural_period(f))
    nicknames = {a.id: a.nickname for a in found.accounts}
    board.tables = [_group_table(f.group_by, by_group, nicknames)]
    if f.group_by == aggregate.ITEM and len(by_group) > TOP_ITEMS and not every_row:
        board.tables[0].rows = board.tables[0].rows[:TOP_ITEMS]
        board.tables[0].note = _("Las %(n)s publicaciones con más reclamos; el CSV tiene todas.") % {
            "n": TOP_ITEMS
        }
    return board


def _tiles(t: dict[str, Any]) -> list[Tile]:
    opened, closed = t["opened"], t["closed"]
    pending = opened - t["met"] - t["missed"]
    of_closed = _("%(share)s de los cerrados")
    return [
        Tile("opened", _("Reclamos recibidos"), count_words(opened), opened),
        Tile("responded", _("Con primera respuesta"), count_words(t["responded"]), t["responded"],
             share_words(t["responded"], opened)),
        Tile("disputed", _("Pasaron a mediación"), count_words(t["disputed"]), t["disputed"],
             share_words(t["disputed"], opened)),
        Tile("closed", _("Cerrados"), count_words(closed), closed, share_words(closed, opened)),
        Tile("for_seller", _("A favor del vendedor"), count_words(t["for_seller"]), t["for_seller"],
             of_closed % {"share": share_words(t["for_seller"], closed)}),
        Tile("for_buyer", _("A favor del comprador"), count_words(t["for_buyer"]), t["for_buyer"],
             of_closed % {"share": share_words(t["for_buyer"], closed)}),
        Tile("affected", _("Afectan la reputación"), share_words(t["affected"], opened), t["affected"],
             part_of_words(t["affected"], opened)),
        percentile_tile("first_response_p50", _("Primera respuesta, mediana"), t["hist"], 50),
        percentile_tile("first_response_p90", _("Primera respuesta, p90"), t["hist"], 90),
        Tile("due_met", _("Plazos cumplidos"), count_words(t["met"]), t["met"]),
        Tile("due_missed", _("Plazos vencidos"), count_words(t["missed"]), t["missed"]),
        Tile("due_pending", _("Plazos en curso"), count_words(pending), pending),
    ]  # fmt: skip


def _charts(t: dict[str, Any], by_day: Sequence[Any], every: str) -> list[Chart]:
    opened, closed = t["opened"], t["closed"]
    funnel = charts.bars(
        _("Embudo de reclamos"),
        [
            ("opened", _("Recibidos"), opened),
            ("responded", _("Con primera respuesta"), t["responded"]),
            ("disputed", _("Pasaron a mediación"), t["disputed"]),
            ("closed", _("Cerrados"), closed),
        ],
        of=opened,
    )
    outcome = charts.split(
        _("Resultado de los reclamos"),
        [
            charts.Part("for_seller", _("a favor del vendedor"), t["for_seller"], charts.GREEN),
            charts.Part("for_buyer", _("a favor del comprador"), t["for_buyer"], charts.RED),
            charts.Part(
                "other", _("cerrados sin dato"), closed - t["for_seller"] - t["for_buyer"], charts.GREY
            ),
            charts.Part("open", _("siguen abiertos"), opened - closed, charts.BLUE),
        ],
    )
    due = charts.split(
        _("Plazos de Mercado Libre"),
        [
            charts.Part("met", _("cumplidos"), t["met"], charts.GREEN),
            charts.Part("missed", _("vencidos"), t["missed"], charts.RED),
            charts.Part("pending", _("en curso"), opened - t["met"] - t["missed"], charts.AMBER),
        ],
    )
    series: dict[Any, dict[str, int]] = defaultdict(lambda: {"opened": 0, "affected": 0})
    for row in sorted(by_day, key=lambda r: r.day):
        point = series[period_of(row.day, every)]
        point["opened"] += int(row.opened - row.affected)
        point["affected"] += int(row.affected)
    over_time = charts.columns(
        _(OVER_TIME[every]),
        [(numbers.short_day(day), values) for day, values in sorted(series.items())],
        [
            charts.Series("opened", _("no afectan la reputación"), charts.BLUE),
            charts.Series("affected", _("afectan la reputación"), charts.RED),
        ],
    )
    return [
        Chart(
            _("Embudo"), funnel, _("De los reclamos recibidos en el período, cuántos llegaron a cada paso.")
        ),
        Chart(_("Resultado"), outcome),
        Chart(_("Plazos"), due, _("Vencido: el plazo pasó con la acción a cargo del vendedor.")),
        Chart(_(BY_PERIOD[every]), over_time),
    ]


def _group_table(group_by: str, rows: Sequence[Any], nicknames: dict[int, str]) -> Table:
    table = Table("groups", _(GROUP_TITLES[group_by]), translated(KEYS[group_by] + FIGURES))
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
