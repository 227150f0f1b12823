"""The pages' languages (docs/i18n.md): catalogs complete, no template word left outside a translation
call, the browser's choice negotiated, dates and money written the reader's way."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

from mostrador import i18n
from mostrador.cli import i18n_cmd
from mostrador.web import formatting
from mostrador.web.deps import TEMPLATES, build_templates

# Words that are the same in every language: the product's name, and the one technical term kept.
SAME_EVERYWHERE = {"Mostrador"}
# Attributes a person reads (tooltips, placeholders, screen readers, confirmation dialogs).
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label", "hx-confirm", "data-confirm"}
EXPRESSION = "\x00"  # what a {{ … }} stands for once its template is flattened ({% … %}: nothing)


def test_every_catalog_has_every_string_translated() -> None:
    problems = i18n_cmd.problems()
    assert not problems, "run `mostrador i18n update`, then translate:\n" + "\n".join(map(str, problems))


class VisibleText(HTMLParser):
    """The words of a page (or a flattened template) a person would read, outside <script> and <style>;
    `skip_data` also leaves out what a person typed or will type (textareas, input values)."""

    def __init__(self, skip_data: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self._hidden = 0
        self._skip_data = skip_data

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style") or (self._skip_data and tag == "textarea"):
            self._hidden += 1
        shown = {name: value or "" for name, value in attrs}
        for name, value in shown.items():
            if name in VISIBLE_ATTRIBUTES:
                self.words.append(value)
        if tag == "input" and shown.get("type") in ("submit", "button", "reset"):
            self.words.append(shown.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") or (self._skip_data and tag == "textarea"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.words.append(data)


TRANSLATORS = {"_", "gettext", "ngettext", "pgettext"}


def _looks_like_words(literal: str) -> bool:
    """A string literal a person would read: accented letters, or a capitalised word ('Vencida'), or a
    phrase ('sin responder'); not a CSS class, a key or a code ('due-over', 'sent', 'MLA')."""
    words = re.findall(r"[^\W\d_]{2,}", literal)
    if not words or literal in SAME_EVERYWHERE:
        return False
    return (
        any(not w.isascii() for w in words)
        or bool(re.match(r"[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+", literal))
        or (" " in literal.strip() and any(len(w) >= 3 for w in words))
    )


def untranslated_words(env: Environment, source: str) -> list[str]:
    """Text of a template outside `_()` and `{% trans %}`: each run that has a word in it, and each
    string literal of an expression that reads like words but goes to no translation call."""
    flat: list[str] = []
    literals: list[str] = []
    in_trans = False
    previous = previous_value = ""
    depth, calls = 0, []  # parenthesis depth; depths at which a translation call was opened
    for _lineno, kind, value in env.lex(source):
        if kind == "whitespace":
            continue
        if kind == "name" and previous == "block_begin":
            in_trans = value in ("trans", "pluralize") or (in_trans and value != "endtrans")
        if kind == "variable_begin":  # a value shown: it splits the words around it
            flat.append(EXPRESSION)
        if kind == "data" and not in_trans:
            flat.append(value)
        if (kind, value) == ("operator", "("):  # env.lex() gives raw tokens: operators, quoted strings
            depth += 1
            if previous == "name" and previous_value in TRANSLATORS:
                calls.append(depth)
        elif (kind, value) == ("operator", ")"):
            if calls and calls[-1] == depth:
                calls.pop()
            depth -= 1
        elif kind == "string" and not calls and _looks_like_words(value[1:-1]):
            literals.append(value[1:-1])
        previous, previous_value = kind, value
    parser = VisibleText()
    parser.feed("".join(flat))
    found = []
    for run in parser.words:
        text = " ".join(part.strip() for part in run.split(EXPRESSION)).strip()
        letters = re.findall(r"[^\W\d_]{2,}", text)
        if [w for w in letters if w not in SAME_EVERYWHERE]:
            found.append(text)
    return found + literals


TEMPLATE_FILES = sorted(Path(TEMPLATES).rglob("*.html"))


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: p.name)
def test_no_template_shows_a_word_outside_a_translation(path: Path) -> None:
    env = build_templates().env
    left = untranslated_words(env, path.read_text(encoding="utf-8"))
    assert not left, f"{path.name}: wrap in {{{{ _('…') }}}} or {{% trans %}}: {left}"


def test_the_scan_itself_finds_a_bare_word_and_passes_a_translated_one() -> None:
    env = build_templates().env
    assert untranslated_words(env, "<p>Hola {{ name }}</p>") == ["Hola"]
    assert untranslated_words(env, '<a title="Abrir">{{ _("x") }}</a>') == ["Abrir"]
    assert untranslated_words(env, "<p>{% trans n=1 %}Hola {{ n }}{% endtrans %} · {{ x }}</p>") == []
    assert untranslated_words(env, '<script>var a = "texto";</script><b>{{ _("y") }} 3 h</b>') == []
    assert untranslated_words(env, "{{ 'Vencida' if x else _('Responder en') }}") == ["Vencida"]
    assert untranslated_words(env, "{% set w = 'sin responder' %}{{ _('%(n)s días', n=f('más')) }}") == [
        "sin responder"
    ]
    assert untranslated_words(env, "<p class=\"{{ 'due-over' }}\">{{ x.get('sent', 'MLA') }}</p>") == []


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        (None, "es"),
        ("", "es"),
        ("pt-BR,pt;q=0.9,en;q=0.8", "pt"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR, de;q=0.8", "es"),  # none of ours: the source language
        ("fr;q=1, en;q=0.5, pt;q=0.7", "pt"),  # weights decide, not the order
        ("pt;q=0, en", "en"),  # q=0 means "not this one"
        ("es-AR;q=oops, en;q=0.1", "en"),  # a broken weight counts as 0 ("not this one"), never an error
        ("*", "es"),
    ],
)
def test_the_browser_s_languages_are_negotiated(header: str | None, chosen: str) -> None:
    assert i18n.negotiate(header) == chosen


def test_dates_and_money_are_written_the_reader_s_way() -> None:
    at = datetime(2026, 11, 28, 20, 5, 9, tzinfo=UTC)  # 17:05:09 in Buenos Aires and São Paulo
    expected = {
        "es": (
            "28/11 17:05",
            "28/11/2026 17:05",
            "17:05:09",
            "1.234,50\xa0ARS",
            "1.234,50\xa0BRL",
            "1.234,5",
        ),
        "pt": ("28/11 17:05", "28/11/2026 17:05", "17:05:09", "ARS\xa01.234,50", "R$\xa01.234,50", "1.234,5"),
        "en": (
            "11/28 5:05\u202fPM",
            "11/28/2026 5:05\u202fPM",
            "5:05:09\u202fPM",
            "ARS1,234.50",
            "R$1,234.50",
            "1,234.5",
        ),
    }
    for locale, figures in expected.items():
        with i18n.using(locale):
            written = (
                formatting.local_time(at, "MLA"),
                formatting.local_time(at, "MLB", "%d/%m/%Y %H:%M"),
                formatting.local_time(at, "MLA", "%H:%M:%S"),
                formatting.money(1234.5, "ARS"),
                formatting.money(1234.5, "BRL"),
                formatting.money(1234.5),
            )
            assert written == figures, locale
    with pytest.raises(ValueError, match="unknown part"):
        formatting.local_time(at, "MLA", "%Y-%m-%d")


def test_a_date_kept_as_text_is_written_like_any_other() -> None:
    """Claims keep their history's dates as ISO text inside stored JSON; the page writes them in the
    site's zone and the reader's language, not as "2026-11-28T20:05"."""
    with i18n.using("en"):
        assert formatting.local_time("2026-11-28T20:05:09.000-00:00", "MLA", "%d/%m/%Y %H:%M") == (
            "11/28/2026 5:05\u202fPM"
        )
        assert formatting.local_time("2026-11-28T20:05:09", "MLB") == "11/28 5:05\u202fPM"  # no offset: UTC
    with i18n.using("es"):
        assert formatting.local_time("2026-11-28T17:05:09-03:00", "MLA") == "28/11 17:05"
        assert formatting.local_time("ayer", "MLA") == "ayer"
        assert formatting.local_time("", "MLA") == "—"


def test_words_follow_the_language_of_their_context_and_fall_back_to_spanish() -> None:
    with i18n.using("en"):
        assert i18n.gettext("Contraseña") == "Password"
        assert i18n.ngettext("%(num)d minuto", "%(num)d minutos", 2) % {"num": 2} == "2 minutes"
        with i18n.using("pt"):
            assert i18n.gettext("Contraseña") == "Senha"
        assert i18n.current() == "en"
    with i18n.using("xx"):  # unknown: the source text, never an error
        assert i18n.gettext("Contraseña") == "Contraseña"
    assert i18n.gettext("una frase que no está en el catálogo") == "una frase que no está en el catálogo"


def test_each_catalog_is_in_its_own_language() -> None:
    """A merge that poured one language's strings into the other's catalog would still be 'complete':
    few entries may read the same in Portuguese and English (names, "API", "Bot", "E-mail")."""
    english = {m.id: m.string for m in i18n_cmd.read("en") if m.id}
    portuguese = {m.id: m.string for m in i18n_cmd.read("pt") if m.id}
    same = [k for k, v in portuguese.items() if v == english.get(k)]
    assert len(same) < len(portuguese) / 10, same[:40]
    assert i18n_cmd.read("pt").get("Salir").string == "Sair"  # one known word each
    assert i18n_cmd.read("en").get("Salir").string == "Sign out"
