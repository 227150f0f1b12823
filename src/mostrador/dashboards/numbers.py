"""Figures written the reader's way (mostrador.i18n, Babel's CLDR data): "1.234" and "12,5 %" in
Spanish, "1.234" and "12,5%" in Portuguese, "1,234" and "12.5%" in English. The CSV and the REST API
keep plain values; these are only the words a page shows."""

from __future__ import annotations

from copy import copy
from datetime import date

from babel.dates import format_skeleton
from babel.numbers import format_decimal

from mostrador import i18n

NONE = "—"  # a figure there is nothing to compute from


def count(value: float | int) -> str:
    """A whole number with the locale's grouping: 1.234 / 1,234."""
    return format_decimal(int(value), locale=i18n.babel_locale())


def percent(fraction: float | None, digits: int = 1) -> str:
    """A fraction as a percentage with `digits` decimals in the locale's pattern: 12,5 % / 12.5%."""
    if fraction is None:
        return NONE
    locale = i18n.babel_locale()
    pattern = copy(locale.percent_formats[None])
    pattern.frac_prec = (digits, digits)
    return pattern.apply(fraction, locale)


def share(part: int, whole: int, digits: int = 1) -> str:
    """part / whole as a percentage, or "—" when there is nothing to divide."""
    return percent(part / whole, digits) if whole else NONE


def short_day(day: date) -> str:
    """A day without its year, as the locale writes it: 28/11 / 11/28 (chart axes)."""
    return format_skeleton("MMdd", day, locale=i18n.babel_locale())
