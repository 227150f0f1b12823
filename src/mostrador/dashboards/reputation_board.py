"""The reputation forecast page: per account, the claims rate Mercado Libre reports for its 60-day window
and the colour that rate allows; per open claim that affects reputation, the rate if it ends against
the seller (alone, and together with the ones listed above it); and the limits per site with their
source (`reputation.THRESHOLDS`)."""

from __future__ import annotations

from mostrador.context import AppContext
from mostrador.dashboards import reputation
from mostrador.dashboards.board import AccountChoice, Board, Tile, count_words
from mostrador.dashboards.tables import COUNT, SHARE, TEXT, Column, Table, translated
from mostrador.i18n import N_
from mostrador.i18n import gettext as _

PATH = "/dashboards/reputation"
ACCOUNT_COLUMNS = [
    Column("account_id", N_("Id"), TEXT, csv_only=True),
    Column("account", N_("Cuenta"), TEXT),
    Column("site_id", N_("Sitio"), TEXT),
    Column("level", N_("Color en Mercado Libre"), TEXT),
    Column("period", N_("Ventana"), TEXT),
    Column("claims_value", N_("Reclamos que cuentan"), COUNT),
    Column("sales", N_("Ventas"), COUNT),
    Column("claims_rate", N_("Tasa de reclamos"), SHARE),
    Column("band", N_("Color que permite"), TEXT),
    Column("open_affecting", N_("Abiertos que afectan"), COUNT),
    Column("rate_if_all_lost", N_("Si todos terminan en contra"), SHARE),
    Column("band_if_all_lost", N_("Color que permitiría"), TEXT),
    Column("read_at", N_("Leída"), TEXT),
    Column("error", N_("Error de lectura"), TEXT),
]
CLAIM_COLUMNS = [
    Column("account", N_("Cuenta"), TEXT),
    Column("claim_id", N_("Reclamo"), TEXT, link="/inbox/{conversation_id}"),
    Column("conversation_id", N_("Conversación"), TEXT, csv_only=True),
    Column("reason", N_("Motivo"), TEXT),
    Column("due_date", N_("Vence"), TEXT),
    Column("rate_if_lost", N_("Tasa si termina en contra"), SHARE),
    Column("band_if_lost", N_("Color"), TEXT),
    Column("rate_if_all_so_far_lost", N_("Con los anteriores también"), SHARE),
    Column("band_if_all_so_far_lost", N_("Color"), TEXT),
]
LIMIT_COLUMNS = [
    Column("site_id", N_("Sitio"), TEXT),
    Column("leader", N_("MercadoLíder hasta"), SHARE),
    Column("green", N_("Verde hasta"), SHARE),
    Column("yellow", N_("Amarillo hasta"), SHARE),
    Column("orange", N_("Naranja hasta"), SHARE),
    Column("source", N_("Fuente"), TEXT),
]


def _band(key: str | None) -> str | None:
    return reputation.band_words(key)


async def build(ctx: AppContext, workspace_id: int) -> Board:
    found = await reputation.outlooks(ctx, workspace_id)
    accounts = [AccountChoice(o.account_id, o.nickname, o.site_id) for o in found]
    board = Board(PATH, _("Pronóstico de reputación"), None, accounts, {})
    rows, claims = [], []
    for o in found:
        metric = o.claims_metric
        rows.append(
            {
                "account_id": o.account_id,
                "account": o.nickname,
                "site_id": o.site_id,
                "level": o.level or ("—" if o.read_at else None),
                "period": metric.period if metric else None,
                "claims_value": metric.value if metric else None,
                "sales": metric.sales if metric else None,
                "claims_rate": o.rate,
                "band": _band(o.band),
                "open_affecting": len(o.claims),
                "rate_if_all_lost": o.rate_if_all_lost if metric else None,
                "band_if_all_lost": _band(o.band_if_all_lost) if metric else None,
                "read_at": o.read_at.strftime("%Y-%m-%d %H:%M UTC") if o.read_at else None,
                "error": o.error,
            }
        )
        for c in o.claims:
            claims.append(
                {
                    "account": o.nickname,
                    "claim_id": c.claim_id,
                    "conversation_id": c.conversation_id,
                    "reason": c.reason,
                    "due_date": c.due_date.strftime("%Y-%m-%d %H:%M UTC") if c.due_date else None,
                    "rate_if_lost": c.rate_if_lost,
                    "band_if_lost": _band(c.band_if_lost),
                    "rate_if_all_so_far_lost": c.rate_if_all_so_far_lost,
                    "band_if_all_so_far_lost": _band(c.band_if_all_so_far_lost),
                }
            )
        if o.limits is None:
            board.notes.append(
                _(
                    "%(account)s (%(site)s): Mercado Libre no publica límites de reclamos para este sitio "
                    "en las páginas que usamos; se muestran las tasas sin color."
                )
                % {"account": o.nickname, "site": o.site_id}
            )
    board.tiles = [
        Tile(
            "open_affecting",
            _("Reclamos abiertos que afectan la reputación"),
            count_words(len(claims)),
            len(claims),
        )
    ]
    board.tables = [
        Table("accounts", _("Cuentas"), translated(ACCOUNT_COLUMNS), rows),
        Table(
            "open_claims", _("Si cada reclamo abierto termina en contra"), translated(CLAIM_COLUMNS), claims
        ),
        Table(
            "limits",
            _("Límites de reclamos por color"),
            translated(LIMIT_COLUMNS),
            [{"site_id": site, **vars(limits)} for site, limits in sorted(reputation.THRESHOLDS.items())],
        ),
    ]
    return board
