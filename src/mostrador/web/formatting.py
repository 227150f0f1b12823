"""Jinja filters: times in the seller's zone, money, and plain-language statuses."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from mostrador.conversations.calendar import SITE_ZONES  # each site's main time zone

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


def time_left(value: datetime | None, now: datetime | None = None) -> str:
    """How long until `value`, in words ("4 h 20 min"), or how long ago it passed ("vencido hace 2 h")."""
    if value is None:
        return "—"
    seconds = int((value - (now or datetime.now(value.tzinfo))).total_seconds())
    late, seconds = seconds < 0, abs(seconds)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        words = f"{days} d {hours} h"
    elif hours:
        words = f"{hours} h {minutes} min"
    else:
        words = f"{minutes} min"
    return f"vencido hace {words}" if late else words


def duration(seconds: float) -> str:
    """A span of time in words: "45 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    seconds = int(abs(seconds))
    if seconds < 60:
        return f"{seconds} s"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def since(value: datetime | None, start: datetime | None) -> str:
    """How long after `start` `value` came (a question's time to answer)."""
    if value is None or start is None:
        return "—"
    return duration((value - start).total_seconds())


def urgency(value: datetime | None, now: datetime | None = None, soon: float = 86_400) -> str:
    """A CSS class for a due date: `due-over` once passed, `due-soon` within `soon` seconds (a day),
    else `due-later`."""
    if value is None:
        return ""
    left = (value - (now or datetime.now(value.tzinfo))).total_seconds()
    return "due-over" if left < 0 else "due-soon" if left < soon else "due-later"
