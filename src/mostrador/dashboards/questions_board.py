"""The questions dashboard: how many buyers asked, how fast they got an answer (p50, p90, p99), how many
the bot answered on its own, why the others went to a person, and how many questions became sales.

Definitions (docs/dashboards.md): a question counts on the day it was asked; it is *answered* once
its answer is published (`sent`), and its response time runs from the question to that moment;
*answered by the bot* is the share of answered questions whose published answer is the bot's own;
a question *became a sale* when the same buyer ordered the same item within 30 days after asking.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from mostrador.context import AppContext
from mostrador.dashboards import charts, numbers, rollups, words
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
from mostrador.dashboards.filters import BY_PERIOD, PERIOD_STARTS, PERIODS, natural_period, period_of
from mostrador.dashboards.tables import AT_MOST, COUNT, SHARE, TEXT, Column, Table, share, translated
from mostrador.i18n import N_
from mostrador.i18n import gettext as _
from mostrador.store import dashboards as store
from mostrador.store.db import transaction

PATH = "/dashboards/questions"
COUNTS = ("asked", "answered", "by_bot", "by_agent", "by_seller", "sold")
GROUPS = {**PERIODS, "account": N_("cuenta")}
OVER_TIME = {
    "day": N_("Preguntas por día"),
    "week": N_("Preguntas por semana"),
    "month": N_("Preguntas por mes"),
}
DEFAULT_GROUP = "day"  # a short range; longer ones default to weeks or months (natural_period)
FIGURES = [
    Column("asked", N_("Preguntas")),
    Column("answered", N_("Respondidas")),
    Column("answered_share", N_("%% respondidas"), SHARE),
    Column("by_bot", N_("Por el bot")),
    Column("bot_share", N_("%% por el bot"), SHARE),
    Column("by_agent", N_("Por una persona")),
    Column("by_seller", N_("En Mercado Libre")),
    Column("sold", N_("Terminaron en venta")),
    Column("sold_share", N_("%% en venta"), SHARE),
    Column("response_p50_s", N_("Respuesta, p50"), AT_MOST),
    Column("response_p90_s", N_("Respuesta, p90"), AT_MOST),
    Column("response_p99_s", N_("Respuesta, p99"), AT_MOST),
]


def build(ctx: AppContext, workspace_id: int, params: Mapping[str, str]) -> Board:
    with transaction(ctx.sessions) as s:
        found = scope(s, workspace_id, params, tuple(GROUPS), DEFAULT_GROUP)
        f, ids = found.filters, found.account_ids
        if not params.get("group_by"):
            f = replace(f, group_by=natural_period(f))
        by_day = store.sums(s, store.QUESTION_DAYS, workspace_id, ids, f.start, f.end, COUNTS, ["day"])
        by_account = store.sums(
            s, store.QUESTION_DAYS, workspace_id, ids, f.start, f.end, COUNTS, ["account_id"]
        )
        handoffs: Counter[str] = Counter()
        for _account, _day, counted in store.question_handoffs(s, workspace_id, ids, f.start, f.end):
            handoffs.update(counted or {})
        fresh = folded_at(s, rollups.CONVERSATIONS)
    group_words = {key: _(label) for key, label in GROUPS.items()}
    board = Board(PATH, _("Preguntas"), f, found.accounts, group_words, folded_at=fresh)
    total = totals(by_day, COUNTS)
    board.tiles = _tiles(total)
    nicknames = {a.id: a.nickname for a in found.accounts}
    groups = _by_account(by_account, nicknames) if f.group_by == "account" else _by_period(by_day, f.group_by)
    board.tables = [groups, _handoff_table(handoffs, total["asked"])]
    board.charts = _charts(total, by_day, natural_period(f), handoffs)
    board.notes.append(
        _(
            "Una pregunta terminó en venta si el mismo comprador compró la misma publicación dentro de los "
            "30 días siguientes (pedidos leídos de Mercado Libre cada 10 minutos)."
        )
    )
    return board


def _tiles(t: dict[str, Any]) -> list[Tile]:
    asked, answered = t["asked"], t["answered"]
    of_answered = _("%(part)s de %(whole)s respondidas") % {
        "part": count_words(t["by_bot"]),
        "whole": count_words(answered),
    }
    return [
        Tile("asked", _("Preguntas"), count_words(asked), asked),
        Tile("answered", _("Respondidas"), count_words(answered), answered, share_words(answered, asked)),
        Tile("unanswered", _("Sin respuesta"), count_words(asked - answered), asked - answered),
        Tile("by_bot", _("Respondidas por el bot"), share_words(t["by_bot"], answered), t["by_bot"],
             of_answered),
        percentile_tile("response_p50", _("Respuesta, p50"), t["hist"], 50),
        percentile_tile("response_p90", _("Respuesta, p90"), t["hist"], 90),
        percentile_tile("response_p99", _("Respuesta, p99"), t["hist"], 99),
        Tile("sold", _("Terminaron en venta"), count_words(t["sold"]), t["sold"],
             share_words(t["sold"], asked)),
    ]  # fmt: skip


def _figures(t: dict[str, Any]) -> dict[str, Any]:
    found = percentiles(t["hist"], 50, 90, 99)
    return {
        **{name: t[name] for name in COUNTS},
        "answered_share": share(t["answered"], t["asked"]),
        "bot_share": share(t["by_bot"], t["answered"]),
        "sold_share": share(t["sold"], t["asked"]),
        "response_p50_s": found["p50"],
        "response_p90_s": found["p90"],
        "response_p99_s": found["p99"],
    }


def _by_period(by_day: Sequence[Any], every: str) -> Table:
    merged: dict[Any, list[Any]] = defaultdict(list)
    for row in by_day:
        merged[period_of(row.day, every)].append(row)
    table = Table(
        "groups", _(BY_PERIOD[every]), translated([Column("period", PERIOD_STARTS[every], TEXT), *FIGURES])
    )
    table.rows = [
        {"period": period, **_figures(totals(rows, COUNTS))} for period, rows in sorted(merged.items())
    ]
    return table


def _by_account(rows: Sequence[Any], nicknames: dict[int, str]) -> Table:
    keys = [Column("account_id", N_("Id"), TEXT, csv_only=True), Column("account", N_("Cuenta"), TEXT)]
    table = Table("groups", _("Por cuenta"), translated(keys + FIGURES))
    table.rows = [
        {
            "account_id": r.account_id,
            "account": nicknames.get(r.account_id, ""),
            **_figures(totals([r], COUNTS)),
        }
        for r in sorted(rows, key=lambda r: r.account_id)
    ]
    return table


def _handoff_table(handoffs: Counter[str], asked: int) -> Table:
    table = Table(
        "handoffs",
        _("Por qué pasaron a una persona"),
        translated(
            [
                Column("reason", N_("Código"), TEXT, csv_only=True),
                Column("reason_words", N_("Motivo"), TEXT),
                Column("count", N_("Preguntas"), COUNT),
                Column("share_of_asked", N_("%% de las preguntas"), SHARE),
            ]
        ),
    )
    table.rows = [
        {
            "reason": code,
            "reason_words": words.handoff(code),
            "count": n,
            "share_of_asked": share(n, asked),
        }
        for code, n in sorted(handoffs.items(), key=lambda item: (-item[1], item[0]))
    ]
    return table


def _charts(t: dict[str, Any], by_day: Sequence[Any], every: str, handoffs: Counter[str]) -> list[Chart]:
    series: dict[Any, dict[str, int]] = defaultdict(lambda: {"bot": 0, "person": 0, "open": 0})
    for row in by_day:
        point = series[period_of(row.day, every)]
        point["bot"] += int(row.by_bot)
        point["person"] += int(row.answered - row.by_bot)
        point["open"] += int(row.asked - row.answered)
    volume = charts.columns(
        _(OVER_TIME[every]),
        [(numbers.short_day(day), values) for day, values in sorted(series.items())],
        [
            charts.Series("bot", _("respondidas por el bot"), charts.GREEN),
            charts.Series("person", _("respondidas por una persona o en Mercado Libre"), charts.BLUE),
            charts.Series("open", _("sin respuesta"), charts.AMBER),
        ],
    )
    who = charts.split(
        _("Quién respondió"),
        [
            charts.Part("bot", _("el bot"), t["by_bot"], charts.GREEN),
            charts.Part("agent", _("una persona"), t["by_agent"], charts.BLUE),
            charts.Part("seller", _("en Mercado Libre"), t["by_seller"], charts.GREY),
            charts.Part("unanswered", _("sin respuesta"), t["asked"] - t["answered"], charts.AMBER),
        ],
    )
    reasons = charts.bars(
        _("Por qué pasaron a una persona"),
        [(code, words.handoff(code), n) for code, n in handoffs.most_common(10)],
        of=t["asked"] or None,
        color=charts.AMBER,
    )
    return [
        Chart(_(BY_PERIOD[every]), volume),
        Chart(_("Quién respondió"), who),
        Chart(
            _("Pasaron a una persona"),
            reasons,
            _("Los diez motivos más frecuentes, sobre el total de preguntas."),
        ),
    ]
