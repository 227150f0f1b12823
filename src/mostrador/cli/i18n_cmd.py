"""`mostrador i18n`: keep the Portuguese and English catalogs in step with the Spanish source text.

`update` extracts every marked string (templates' `_()`/`{% trans %}`, Python's `_()`, `gettext`,
`ngettext`, `pgettext`, `N_`) and merges it into each `.po` file, keeping translations already made;
`check` lists what is missing, untranslated, fuzzy, stale or has placeholders that differ. Catalogs are
written sorted and without source locations, so two branches adding strings merge line by line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import typer
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from mostrador import i18n

app = typer.Typer(help="Page languages: update and check the translation catalogs.", no_args_is_help=True)

SOURCE_ROOT = Path(i18n.__file__).parent
TARGETS = tuple(locale for locale in i18n.LOCALES if locale != i18n.SOURCE)
# Buyers' words (the bot's answers), Mercado Libre's client and the sandbox are not the pages' words.
METHOD_MAP = [
    ("bot/**", "ignore"),
    ("meli/**", "ignore"),
    ("sandbox/**", "ignore"),
    ("**/templates/**.html", "jinja2"),
    ("**.py", "python"),
]
OPTIONS_MAP = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
# Fixed header fields: an update that changes no string changes no byte (no merge conflicts on dates).
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def _blank(locale: str) -> Catalog:
    return Catalog(
        project="Mostrador",
        version="1",
        locale=locale,
        copyright_holder="Mostrador",
        msgid_bugs_address="",
        creation_date=STAMP,
        revision_date=STAMP,
        last_translator="Mostrador",
        language_team=f"{i18n.NAMES.get(locale, locale)}",
        fuzzy=False,
    )


def extract() -> Catalog:
    """Every string the pages may show, in Spanish, from the source tree."""
    catalog = _blank(i18n.SOURCE)
    for filename, lineno, message, comments, context in extract_from_dir(
        SOURCE_ROOT,
        method_map=METHOD_MAP,
        options_map=OPTIONS_MAP,
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read(locale: str) -> Catalog:
    path = i18n.po_path(locale)
    if not path.exists():
        return _blank(locale)
    with path.open("rb") as f:
        catalog = read_po(f, locale=locale)
    blank = _blank(locale)
    for field in ("project", "version", "copyright_holder", "msgid_bugs_address", "creation_date"):
        setattr(catalog, field, getattr(blank, field))
    catalog.revision_date, catalog.last_translator = blank.revision_date, blank.last_translator
    catalog.language_team, catalog.fuzzy = blank.language_team, False
    return catalog


def write(locale: str, catalog: Catalog) -> None:
    path = i18n.po_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=0, no_location=True, sort_output=True, ignore_obsolete=True)


def update() -> dict[str, int]:
    """Merge the source's strings into each catalog; returns how many are untranslated per locale."""
    template = extract()
    untranslated = {}
    for locale in TARGETS:
        catalog = read(locale)
        catalog.update(template, no_fuzzy_matching=True)
        write(locale, catalog)
        untranslated[locale] = sum(1 for m in catalog if m.id and not _translated(m.string))
    return untranslated


@dataclass(frozen=True)
class Problem:
    locale: str
    msgid: str
    what: str

    def __str__(self) -> str:
        return f"{self.locale}: {self.what}: {self.msgid!r}"


def problems() -> list[Problem]:
    """What keeps a page from being wholly in each language (empty: every catalog is complete)."""
    source = {m.id if isinstance(m.id, str) else m.id[0]: m for m in extract() if m.id}
    found: list[Problem] = []
    for locale in TARGETS:
        catalog = read(locale)
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        found += [Problem(locale, key, "missing from the catalog") for key in sorted(source.keys() - ids)]
        found += [Problem(locale, key, "no longer in the source") for key in sorted(ids - source.keys())]
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            if not _translated(message.string):
                found.append(Problem(locale, key, "untranslated"))
            elif message.fuzzy:
                found.append(Problem(locale, key, "fuzzy"))
            for error in message.check(catalog):  # python-format placeholders of msgid vs msgstr
                found.append(Problem(locale, key, f"placeholders: {error}"))
    return found


def _translated(string: object) -> bool:
    if isinstance(string, tuple | list):
        return all(string)
    return bool(string)


@app.command("update")
def update_cmd() -> None:
    """Extract the source's strings and merge them into every catalog (translations kept)."""
    for locale, count in update().items():
        typer.echo(f"{i18n.po_path(locale)}: {count} untranslated")


@app.command("check")
def check_cmd() -> None:
    """Exit 1, listing each, if any catalog misses a translation or carries a stale one."""
    found = problems()
    for problem in found:
        typer.echo(str(problem))
    if found:
        raise typer.Exit(1)
    typer.echo("every catalog is complete")
