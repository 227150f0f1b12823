"""Jinja filters: times in the seller's zone, money, and plain-language statuses, each in the reader's
language (mostrador.i18n): "28/11 17:05" in Spanish and Portuguese, "11/28 5:05 PM" in English."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time
from babel.numbers import format_currency, format_decimal

from mostrador import i18n
from mostrador.conversations.calendar import SITE_ZONES  # each site's main time zone
from mostrador.i18n import N_

STATUS_LABELS = {
    "sent": N_("enviada"),
    "pending_send": N_("enviando…"),
    "draft": N_("borrador"),
    "failed": N_("falló"),
    "superseded": N_("respondida en Mercado Libre"),
}
# strftime-like shapes the templates ask for → the locale's own way of writing that date.
_DATES = {"%d/%m": "MMdd", "%d/%m/%Y": "yMMdd"}


def local_time(value: datetime | str | None, site_id: str = "MLA", fmt: str = "%d/%m %H:%M") -> str:
    """`value` in the site's time zone, written as the reader's language writes it. `fmt` says which
    parts: a date ("%d/%m" or "%d/%m/%Y", optional) and a time ("%H:%M" or "%H:%M:%S", optional).

    `value` may be an ISO 8601 text, as dates kept inside stored JSON are (a claim's history); one
    without an offset is UTC, and a text that is not a date is shown as it is."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        value = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    local = value.astimezone(ZoneInfo(SITE_ZONES.get(site_id, "UTC")))
    locale = i18n.babel_locale()
    parts = []
    for piece in fmt.split(" "):
        if piece in _DATES:
            parts.append(format_skeleton(_DATES[piece], local, locale=locale))
        elif piece.startswith("%H"):
            parts.append(format_time(local, "medium" if piece.count(":") == 2 else "short", locale=locale))
        else:
            raise ValueError(f"local_time: unknown part {piece!r} of {fmt!r}")
    return " ".join(parts)


def local_date(value: date | None, fmt: str = "%d/%m/%Y") -> str:
    """A calendar day (no time, no zone) as the reader's language writes it: "28/11/2026", "11/28/2026"."""
    if value is None:
        return "—"
    if fmt not in _DATES:
        raise ValueError(f"local_date: unknown format {fmt!r}")
    return format_skeleton(_DATES[fmt], value, locale=i18n.babel_locale())


def money(amount: float | int | None, currency: str | None = None) -> str:
    """An amount in the reader's way of writing numbers ("ARS 1.234,50", "R$ 1.234,00", "ARS1,234.50")."""
    if amount is None:
        return "—"
    locale = i18n.babel_locale()
    if not currency:
        return format_decimal(amount, locale=locale)
    return format_currency(amount, currency, locale=locale)


def status_label(status: str | None) -> str:
    label = STATUS_LABELS.get(status or "")
    return i18n.gettext(label) if label else status or ""


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
    return i18n.gettext("vencido hace %(time)s") % {"time": words} if late else words


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
