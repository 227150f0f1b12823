"""The reputation forecast page: per account, the claims rate Mercado Libre reports for its 60-day window
and the colour that rate allows; per open claim that affects reputation, the rate if it ends against
the seller (alone, and together with the ones listed above it); and the limits per site with their
source (`reputation.THRESHOLDS`)."""

from __future__ import annotations

from mostrador.context import AppContext
from mostrador.dashboards import reputation
from mostrador.dashboards.board import AccountChoice, Board, Tile, count_words
from mostrador.dashboards.tables import COUNT, SHARE, TEXT, Column, Table

PATH = "/dashboards/reputation"
ACCOUNT_COLUMNS = [
    Column("account_id", "Id", TEXT, csv_only=True),
    Column("account", "Cuenta", TEXT),
    Column("site_id", "Sitio", TEXT),
    Column("level", "Color en Mercado Libre", TEXT),
    Column("period", "Ventana", TEXT),
    Column("claims_value", "Reclamos que cuentan", COUNT),
    Column("sales", "Ventas", COUNT),
    Column("claims_rate", "Tasa de reclamos", SHARE),
    Column("band", "Color que permite", TEXT),
    Column("open_affecting", "Abiertos que afectan", COUNT),
    Column("rate_if_all_lost", "Si todos terminan en contra", SHARE),
    Column("band_if_all_lost", "Color que permitiría", TEXT),
    Column("read_at", "Leída", TEXT),
    Column("error", "Error de lectura", TEXT),
]
CLAIM_COLUMNS = [
    Column("account", "Cuenta", TEXT),
    Column("claim_id", "Reclamo", TEXT, link="/inbox/{conversation_id}"),
    Column("conversation_id", "Conversación", TEXT, csv_only=True),
    Column("reason", "Motivo", TEXT),
    Column("due_date", "Vence", TEXT),
    Column("rate_if_lost", "Tasa si termina en contra", SHARE),
    Column("band_if_lost", "Color", TEXT),
    Column("rate_if_all_so_far_lost", "Con los anteriores también", SHARE),
    Column("band_if_all_so_far_lost", "Color", TEXT),
]
LIMIT_COLUMNS = [
    Column("site_id", "Sitio", TEXT),
    Column("leader", "MercadoLíder hasta", SHARE),
    Column("green", "Verde hasta", SHARE),
    Column("yellow", "Amarillo hasta", SHARE),
    Column("orange", "Naranja hasta", SHARE),
    Column("source", "Fuente", TEXT),
]


def _band(key: str | None) -> str | None:
    return reputation.BANDS.get(key or "") if key else None


async def build(ctx: AppContext, workspace_id: int) -> Board:
    found = await reputation.outlooks(ctx, workspace_id)
    accounts = [AccountChoice(o.account_id, o.nickname, o.site_id) for o in found]
    board = Board(PATH, "Pronóstico de reputación", None, accounts, {})
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
                f"{o.nickname} ({o.site_id}): Mercado Libre no publica límites de reclamos para este sitio "
                "en las páginas que usamos; se muestran las tasas sin color."
            )
    board.tiles = [
        Tile(
            "open_affecting",
            "Reclamos abiertos que afectan la reputación",
            count_words(len(claims)),
            len(claims),
        )
    ]
    board.tables = [
        Table("accounts", "Cuentas", ACCOUNT_COLUMNS, rows),
        Table("open_claims", "Si cada reclamo abierto termina en contra", CLAIM_COLUMNS, claims),
        Table(
            "limits",
            "Límites de reclamos por color",
            LIMIT_COLUMNS,
            [{"site_id": site, **vars(limits)} for site, limits in sorted(reputation.THRESHOLDS.items())],
        ),
    ]
    return board
