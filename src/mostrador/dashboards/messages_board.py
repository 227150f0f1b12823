"""The post-sale messages dashboard: messages received and sent, how fast buyers got a reply, and
Mercado Libre's reply window of 8 business hours met or missed.

Definitions (docs/dashboards.md): a *turn* starts at the first buyer message after the seller's side
last wrote and ends at the next message the seller's side sent; its reply is *within the window* when
it came before 8 business hours of the account (its bot settings' business hours, else weekdays
09:00–18:00 in the site's zone) had passed; a turn still waiting is *missed* once that time is past,
*pending* until then. Claims are not counted here (they have their own dashboard).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from mostrador.context import AppContext
from mostrador.conversations import calendar
from mostrador.dashboards import charts, numbers, rollups
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
from mostrador.store.models import utcnow

PATH = "/dashboards/messages"
COUNTS = ("received", "sent", "turns", "replied", "in_window")
GROUPS = {**PERIODS, "account": N_("cuenta")}
OVER_TIME = {
    "day": N_("Mensajes por día"),
    "week": N_("Mensajes por semana"),
    "month": N_("Mensajes por mes"),
}
DEFAULT_GROUP = "day"  # a short range; longer ones default to weeks or months (natural_period)
FIGURES = [
    Column("received", N_("Recibidos")),
    Column("sent", N_("Enviados")),
    Column("turns", N_("Esperas del comprador")),
    Column("replied", N_("Respondidas")),
    Column("window_met", N_("En plazo")),
    Column("window_missed", N_("Fuera de plazo")),
    Column("window_pending", N_("Esperando, en plazo")),
    Column("window_met_share", N_("%% en plazo"), SHARE),
    Column("response_p50_s", N_("Respuesta, p50"), AT_MOST),
    Column("response_p90_s", N_("Respuesta, p90"), AT_MOST),
]


def build(ctx: AppContext, workspace_id: int, params: Mapping[str, str]) -> Board:
    now = utcnow()
    with transaction(ctx.sessions) as s:
        found = scope(s, workspace_id, params, tuple(GROUPS), DEFAULT_GROUP)
        f, ids = found.filters, found.account_ids
        if not params.get("group_by"):
            f = replace(f, group_by=natural_period(f))
        by_day = store.sums(
            s, store.CHAT_DAYS, workspace_id, ids, f.start, f.end, COUNTS, ["account_id", "day"]
        )
        waiting = store.unreplied_turns(s, workspace_id, ids, f.start, f.end, now)
        hours = {a.id: calendar.business_hours(a.bot_config, a.site_id) for a in store.account_rows(s, ids)}
        fresh = folded_at(s, rollups.CONVERSATIONS)
    # A turn without a reply is missed once its window is over, whatever day it started.
    overdue: dict[tuple[int, Any], int] = defaultdict(int)
    pending: dict[tuple[int, Any], int] = defaultdict(int)
    for account_id, day, late, within in waiting:
        overdue[(account_id, day)] += int(late or 0)
        pending[(account_id, day)] += int(within or 0)
    group_words = {key: _(label) for key, label in GROUPS.items()}
    board = Board(PATH, _("Mensajes posventa"), f, found.accounts, group_words, folded_at=fresh)
    total = _window(totals(by_day, COUNTS), sum(overdue.values()), sum(pending.values()))
    board.tiles = _tiles(total)
    keyed = _keyed(by_day, overdue, pending, f.group_by)
    board.tables = [_table(f.group_by, keyed, {a.id: a.nickname for a in found.accounts})]
    every = natural_period(f)
    board.charts = _charts(
        total, keyed if every == f.group_by else _keyed(by_day, overdue, pending, every), every
    )
    default = [a.nickname for a in found.accounts if a.id in hours and not hours[a.id].configured]
    board.notes.append(
        _("Plazo de respuesta: 8 horas hábiles desde el primer mensaje del comprador que espera respuesta.")
    )
    if default:
        board.notes[-1] += " " + _(
            "Sin horario configurado en el bot (se usa lunes a viernes de 9 a 18): %(accounts)s."
        ) % {"accounts": ", ".join(default)}
    return board


def _window(t: dict[str, Any], overdue: int, pending: int) -> dict[str, Any]:
    t["window_met"] = t["in_window"]
    t["window_missed"] = t["replied"] - t["in_window"] + overdue
    t["window_pending"] = pending
    return t


def _keyed(
    rows: Sequence[Any], overdue: dict[Any, int], pending: dict[Any, int], group_by: str
) -> dict[Any, Any]:
    """The (account, day) rows merged by account or by period, with their waiting turns."""
    merged: dict[Any, list[Any]] = defaultdict(list)
    waits: dict[Any, list[int]] = defaultdict(lambda: [0, 0])

    def key(account_id: int, day: Any) -> Any:
        return account_id if group_by == "account" else period_of(day, group_by)

    for row in rows:
        merged[key(row.account_id, row.day)].append(row)
    for (account_id, day), n in overdue.items():
        waits[key(account_id, day)][0] += n
    for (account_id, day), n in pending.items():
        waits[key(account_id, day)][1] += n
    return {k: _window(totals(merged.get(k, []), COUNTS), *waits[k]) for k in merged.keys() | waits.keys()}


def _figures(t: dict[str, Any]) -> dict[str, Any]:
    found = percentiles(t["hist"], 50, 90)
    judged = t["window_met"] + t["window_missed"]
    return {
        **{name: t[name] for name in ("received", "sent", "turns", "replied", "window_met", "window_missed")},
        "window_pending": t["window_pending"],
        "window_met_share": share(t["window_met"], judged),
        "response_p50_s": found["p50"],
        "response_p90_s": found["p90"],
    }


def _tiles(t: dict[str, Any]) -> list[Tile]:
    judged = t["window_met"] + t["window_missed"]
    return [
        Tile("received", _("Mensajes recibidos"), count_words(t["received"]), t["received"]),
        Tile("sent", _("Mensajes enviados"), count_words(t["sent"]), t["sent"]),
        Tile("replied", _("Esperas respondidas"), count_words(t["replied"]), t["replied"],
             _("de %(whole)s") % {"whole": count_words(t["turns"])}),
        percentile_tile("response_p50", _("Respuesta, p50"), t["hist"], 50),
        percentile_tile("response_p90", _("Respuesta, p90"), t["hist"], 90),
        Tile("window_met", _("Respondidas en plazo"), share_words(t["window_met"], judged), t["window_met"],
             part_of_words(t["window_met"], judged)),
        Tile("window_missed", _("Fuera de plazo"), count_words(t["window_missed"]), t["window_missed"]),
        Tile("window_pending", _("Esperando, aún en plazo"), count_words(t["window_pending"]),
             t["window_pending"]),
    ]  # fmt: skip


def _table(group_by: str, keyed: dict[Any, Any], nicknames: dict[int, str]) -> Table:
    if group_by == "account":
        keys = [Column("account_id", N_("Id"), TEXT, csv_only=True), Column("account", N_("Cuenta"), TEXT)]
        table = Table("groups", _("Por cuenta"), translated(keys + FIGURES))
        table.rows = [
            {"account_id": k, "account": nicknames.get(k, ""), **_figures(t)}
            for k, t in sorted(keyed.items())
        ]
        return table
    table = Table(
        "groups",
        _(BY_PERIOD[group_by]),
        translated([Column("period", PERIOD_STARTS[group_by], TEXT), *FIGURES]),
    )
    table.rows = [{"period": k, **_figures(t)} for k, t in sorted(keyed.items())]
    return table


def _charts(total: dict[str, Any], by_period: dict[Any, Any], every: str) -> list[Chart]:
    volume = charts.columns(
        _(OVER_TIME[every]),
        [
            (numbers.short_day(day), {"received": t["received"], "sent": t["sent"]})
            for day, t in sorted(by_period.items())
        ],
        [
            charts.Series("received", _("recibidos"), charts.BLUE),
            charts.Series("sent", _("enviados"), charts.GREEN),
        ],
    )
    window = charts.split(
        _("Plazo de 8 horas hábiles"),
        [
            charts.Part("met", _("en plazo"), total["window_met"], charts.GREEN),
            charts.Part("missed", _("fuera de plazo"), total["window_missed"], charts.RED),
            charts.Part("pending", _("esperando, en plazo"), total["window_pending"], charts.AMBER),
        ],
    )
    return [Chart(_(BY_PERIOD[every]), volume), Chart(_("Plazo de respuesta"), window)]
