"""The languages people read Mostrador in: Spanish (the source text), Portuguese and English.

The page's language lives in a context variable that the web layer sets once per request (the user's
choice, else the browser's `Accept-Language`); `gettext` reads it, so a label translated where it is
used — a template, a page handler, a service building words for a page — comes out in the reader's
language without being passed around. Buyers never read these words: answers to buyers stay in the
language they were written in.

Catalogs are the `.po` files under `locale/`, read once per process (no compiled `.mo` in the repo);
`mostrador i18n` extracts, updates and checks them (docs/i18n.md).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

SOURCE = "es"  # the language msgids are written in
LOCALES = ("es", "pt", "en")
NAMES = {"es": "Español", "pt": "Português", "en": "English"}
# The CLDR locale each language formats dates and money with (Portuguese as written in Brazil).
FORMATS = {"es": "es", "pt": "pt_BR", "en": "en"}
DOMAIN = "mostrador"  # the catalogs' file name: locale/<lang>/LC_MESSAGES/mostrador.po
CATALOGS = Path(__file__).parent / "locale"

_current: ContextVar[str] = ContextVar("mostrador_locale", default=SOURCE)


def current() -> str:
    """The language of the words being made now ("es", "pt" or "en")."""
    return _current.get()


def babel_locale() -> Locale:
    return Locale.parse(FORMATS[current()])


@contextmanager
def using(locale: str) -> Iterator[None]:
    """Make words in `locale` inside the block (an unknown one falls back to the source language)."""
    token = _current.set(locale if locale in LOCALES else SOURCE)
    try:
        yield
    finally:
        _current.reset(token)


def activate(locale: str) -> None:
    """Set the language for the rest of this context (a request's task: the web layer's middleware)."""
    _current.set(locale if locale in LOCALES else SOURCE)


def po_path(locale: str) -> Path:
    return CATALOGS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(locale: str) -> NullTranslations:
    """The catalog of `locale`, compiled in memory from its `.po` (the source language has none)."""
    path = po_path(locale)
    if locale == SOURCE or not path.exists():
        return NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def gettext(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A word whose translation depends on where it is used (`context` tells the translator)."""
    return translations(current()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark a constant for extraction; it is translated where it is shown (`gettext(label)`)."""
    return message


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an `Accept-Language` header (RFC 9110 weights), else Spanish."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        language = tag.strip().split("-")[0].split("_")[0].lower()
        if language and weight > 0:
            ranked.append((-weight, position, language))
    for _weight, _position, language in sorted(ranked):
        if language in LOCALES:
            return language
    return SOURCE
