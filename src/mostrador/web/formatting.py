"""Jinja filters: times in the seller's zone, money, and plain-language statuses."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

# Each site's main time zone (the seller's working day is what matters in the inbox).
SITE_ZONES = {
    "MLA": "America/Argentina/Buenos_Aires",
    "MLB": "America/Sao_Paulo",
    "MLM": "America/Mexico_City",
    "MLC": "America/Santiago",
    "MCO": "America/Bogota",
    "MLU": "America/Montevideo",
    "MPE": "America/Lima",
}

STATUS_LABELS = {
    "sent": "enviada",
    "pending_send": "enviando…",
    "draft": "borrador",
    "failed": "falló",
    "superseded": "respondida en Mercado Libre",
}


def local_time(value: datetime | None, site_id: str = "MLA", fmt: str = "%d/%m %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(SITE_ZONES.get(site_id, "UTC"))).strftime(fmt)


def money(amount: float | int | None, currency: str | None = None) -> str:
    if amount is None:
        return "—"
    whole = f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    whole = whole.removesuffix(",00")
    return f"{currency or ''} {whole}".strip()


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", status or "")
