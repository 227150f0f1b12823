"""The dashboards in the reader's language (docs/dashboards.md, "Languages"): each board asked for in
Portuguese or English shows its titles, columns, charts and notes in it and no Spanish words of the
interface; counts and percentages are written the language's way; the CSV stays the same in every
language but for the columns of words. The figures are the ones test_dashboards_figures.py seeds."""

from __future__ import annotations

import csv
import html as markup
import io
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from babel.messages.pofile import read_po

from mostrador import i18n
from mostrador.context import AppContext
from mostrador.conversations import service as conv
from mostrador.dashboards import rollups
from mostrador.store.db import transaction
from mostrador.store.models import Account, utcnow

from . import test_dashboards_figures as figures
from .test_dashboards_figures import World, tiles

world, viewer = figures.world, figures.viewer  # the figures' fixtures: the same seeded workspace

HEADERS: dict[str, dict[str, str]] = {
    "es": {},  # no Accept-Language: the source language
    "pt": {"Accept-Language": "pt-BR,pt;q=0.9"},
    "en": {"Accept-Language": "en-US,en;q=0.9"},
}
BOARDS = ["/dashboards/claims", "/dashboards/questions", "/dashboards/messages", "/dashboards/reputation"]
# What each board is called in each language (the page's <h1>).
TITLES = {
    "/dashboards/claims": {"es": "Reclamos", "pt": "Reclamações", "en": "Claims"},
    "/dashboards/questions": {"es": "Preguntas", "pt": "Perguntas", "en": "Questions"},
    "/dashboards/messages": {
        "es": "Mensajes posventa",
        "pt": "Mensagens pós-venda",
        "en": "Post-sale messages",
    },
    "/dashboards/reputation": {
        "es": "Pronóstico de reputación",
        "pt": "Previsão de reputação",
        "en": "Reputation forecast",
    },
}
# Words an English page shares with the Spanish one that are not the interface's: names, codes and
# the data the test seeds (the claims' reason names come from Mercado Libre as "name of <reason>").
SAME_IN_BOTH = {"Mostrador", "Mercado", "Libre", "MercadoLíder", "CSV", "TIENDA", "MLA", "UTC", "name", "min"}
SAME_IN_BOTH |= {"PDD", "PNR", "bot", "MLB", "MLM", "MLC", "MCO"}  # claim reasons', sites' codes
BIG_CHAT = 1_234  # buyer messages in one chat: a count with a thousands separator


def visible(page: str) -> str:
    """The text a person reads of the board (its title and <main>; the header is every page's): no
    markup, scripts or styles, whitespace folded."""
    title = re.search(r"<title>(.*?)</title>", page, flags=re.S)
    main = re.search(r"<main>(.*)</main>", page, flags=re.S)
    assert title and main
    page = title.group(1) + " " + re.sub(r"<(script|style)\b.*?</\1>", " ", main.group(1), flags=re.S)
    # Data, not the interface's words: why a reputation could not be read, and Mercado Libre's pages.
    page = re.sub(r'<td data-col="(error|source)".*?</td>', " ", page, flags=re.S)
    text = markup.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]{3,}", text))


def shown_phrase(msgid: str) -> re.Pattern[str]:
    """A catalog entry as it reads on a page: its placeholders stand for anything, whole words only."""
    parts = re.split(r"%\([a-z_]+\)s", msgid.replace("%%", "%"))
    return re.compile(r"(?<!\w)" + ".+?".join(re.escape(p) for p in parts) + r"(?!\w)")


def interface_sentences(locale: str) -> list[tuple[str, re.Pattern[str]]]:
    """The Spanish entries of the catalog that read otherwise in `locale` (with a word of 3+ letters)."""
    with i18n.po_path(locale).open("rb") as f:
        catalog = read_po(f, locale=locale)
    found = []
    own = {m.string for m in catalog if isinstance(m.string, str)}  # "Todas" is Portuguese too
    for message in catalog:
        if not message.id or not isinstance(message.id, str) or message.id in own:
            continue
        if re.search(r"[^\W\d_]{3,}", re.sub(r"%\([a-z_]+\)s", "", message.id)):
            found.append((message.id, shown_phrase(message.id)))
    return found


def count(n: int, locale: str) -> str:
    grouped = f"{n:,}"
    return grouped if locale == "en" else grouped.replace(",", ".")


def percent(fraction: float, locale: str) -> str:
    figure = f"{fraction * 100:.1f}"
    if locale == "en":
        return f"{figure}%"
    return figure.replace(".", ",") + ("\xa0%" if locale == "es" else "%")


def cells(page: str) -> list[tuple[str, str, str]]:
    """(column, plain value, what the page shows) of every table cell."""
    return [
        (col, markup.unescape(value), markup.unescape(re.sub(r"<[^>]+>", "", shown)))
        for col, value, shown in re.findall(
            r'<td data-col="(\w+)" data-value="([^"]*)"[^>]*>(.*?)</td>', page, flags=re.S
        )
    ]


def tile_detail(page: str, key: str) -> str:
    found = re.search(rf'data-figure="{key}".*?<div class="detail">(.*?)</div>', page, flags=re.S)
    assert found, f"no detail under {key}"
    return markup.unescape(found.group(1))


@pytest.fixture
def big_chat(ctx: AppContext, world: World) -> int:
    """One post-sale chat where the buyer wrote BIG_CHAT messages, folded with everything else."""
    with transaction(ctx.sessions) as s:
        account = s.get(Account, world.accounts[0])
        assert account is not None
        thread = conv.open_thread(s, account, conv.ThreadKey("messages", "big"), "77", "D")
        start = utcnow() - timedelta(days=2)
        for n in range(BIG_CHAT):
            conv.record_inbound(s, thread, f"big-{n}", "Hola", start + timedelta(seconds=n))
    rollups.refresh(ctx)
    return BIG_CHAT


async def pages(client: httpx.AsyncClient, path: str) -> dict[str, str]:
    found = {}
    for locale, headers in HEADERS.items():
        r = await client.get(path, headers=headers)
        assert r.status_code == 200, r.text[:300]
        found[locale] = r.text
    return found


@pytest.mark.parametrize("path", BOARDS)
async def test_each_board_reads_in_portuguese_and_english_without_a_spanish_word(
    ctx: AppContext, world: World, viewer: httpx.AsyncClient, path: str
) -> None:
    rollups.refresh(ctx)
    shown = await pages(viewer, path)
    text = {locale: visible(page) for locale, page in shown.items()}
    for locale, page in shown.items():
        assert f"<h1>{TITLES[path][locale]}</h1>" in page
        assert tiles(page) == tiles(shown["es"])  # the figures are the same whatever the language
    for locale in ("pt", "en"):
        seen_in_spanish = 0
        for msgid, phrase in interface_sentences(locale):
            if phrase.search(text["es"]):
                seen_in_spanish += 1
                assert not phrase.search(text[locale]), f"{locale} {path} still shows {msgid!r}"
        assert seen_in_spanish >= 10  # the check saw the page's Spanish words (a test that can fail)
    # English shares no word with Spanish but names and data: a word left outside the catalog shows.
    assert words(text["es"]) & words(text["en"]) <= SAME_IN_BOTH, path


@pytest.mark.parametrize("path", BOARDS[:3])
async def test_the_filters_and_the_table_headers_are_translated(
    ctx: AppContext, world: World, viewer: httpx.AsyncClient, path: str
) -> None:
    rollups.refresh(ctx)
    shown = await pages(viewer, path)
    assert ">Últimos 30 días</option>" in shown["es"] and "Descargar CSV" in shown["es"]
    assert ">Últimos 30 dias</option>" in shown["pt"] and "Baixar CSV" in shown["pt"]
    assert ">Last 30 days</option>" in shown["en"] and "Download CSV" in shown["en"]
    assert re.search(r"Del \d\d/\d\d/\d{4} al \d\d/\d\d/\d{4}", shown["es"])
    assert re.search(r"From \d\d?/\d\d?/\d{4} to \d\d?/\d\d?/\d{4}", shown["en"])
    assert re.search(r"Figures as of .+: updated every minute\.", visible(shown["en"]))
    headers = {locale: re.findall(r"<th[^>]*>(.*?)</th>", page) for locale, page in shown.items()}
    assert len(headers["es"]) == len(headers["pt"]) == len(headers["en"]) > 5
    assert headers["en"] != headers["es"] and headers["pt"] != headers["es"]


async def test_claims_chart_days_and_labels_follow_the_language(
    ctx: AppContext, world: World, viewer: httpx.AsyncClient
) -> None:
    rollups.refresh(ctx)
    shown = await pages(viewer, "/dashboards/claims")
    assert 'aria-label="Claims funnel"' in shown["en"] and 'aria-label="Funil de reclamações"' in shown["pt"]

    def days(page: str, day_first: bool) -> list[tuple[int, int]]:
        """The columns' days as (day, month), read the way the language writes them."""
        found = [(int(a), int(b)) for a, b in re.findall(r'data-key="(\d\d?)/(\d\d?)\|opened"', page)]
        return found if day_first else [(day, month) for month, day in found]

    spanish = days(shown["es"], day_first=True)
    assert len(spanish) > 10 and any(day > 12 for day, _ in spanish)  # a day that cannot be a month
    assert days(shown["pt"], day_first=True) == spanish  # 28/11 in Spanish and Portuguese
    assert days(shown["en"], day_first=False) == spanish  # 11/28 in English


async def test_counts_and_percentages_are_written_the_reader_s_way(
    ctx: AppContext, world: World, viewer: httpx.AsyncClient, big_chat: int
) -> None:
    received = big_chat + len(world.accounts) * (2 * 4 * 3 + 1)  # and the chats the world seeds
    messages = await pages(viewer, "/dashboards/messages")
    for locale, page in messages.items():
        assert tiles(page)["received"] == str(received)
        assert f'<div class="value">{count(received, locale)}</div>' in page
    assert count(received, "es") == count(received, "pt") != count(received, "en")  # 1.284 / 1,284
    claims = await pages(viewer, "/dashboards/claims?days=90")
    for locale, page in {**messages, **claims}.items():
        checked = 0
        for col, value, shown in cells(page):
            if col.endswith("_share") and value:
                assert shown == percent(float(value), locale), (locale, col, value, shown)
                checked += 1
            elif col in ("opened", "received", "sent", "closed") and value:
                assert shown == count(int(value), locale), (locale, col, value, shown)
                checked += 1
        assert checked > 10
    for locale, page in claims.items():
        figures = tiles(page)
        responded, opened = int(figures["responded"]), int(figures["opened"])
        assert 0 < responded < opened
        assert tile_detail(page, "responded") == percent(responded / opened, locale)
    assert "%" in tile_detail(claims["en"], "responded") and "," not in tile_detail(claims["en"], "responded")


def rows_of(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body)))


async def test_the_csv_keeps_its_headers_and_numbers_in_every_language_and_words_follow_the_reader(
    ctx: AppContext, world: World, viewer: httpx.AsyncClient
) -> None:
    rollups.refresh(ctx)
    url = "/dashboards/claims.csv?days=90&group_by=category"
    got: dict[str, Any] = {}
    for locale, headers in HEADERS.items():
        r = await viewer.get(url, headers=headers)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert r.headers["content-disposition"] == 'attachment; filename="claims-groups.csv"'
        got[locale] = r.text
    first_lines = {locale: body.split("\n", 1)[0] for locale, body in got.items()}
    assert first_lines["pt"] == first_lines["en"] == first_lines["es"]
    assert first_lines["es"].startswith("category,category_words,opened,responded,responded_share")
    by_code = {locale: {r["category"]: r for r in rows_of(body)} for locale, body in got.items()}
    assert set(by_code["es"]) == set(by_code["pt"]) == set(by_code["en"]) and "defective" in by_code["es"]
    for code, row in by_code["es"].items():
        for locale in ("pt", "en"):
            theirs = by_code[locale][code]
            assert {k: v for k, v in theirs.items() if k != "category_words"} == {
                k: v for k, v in row.items() if k != "category_words"
            }  # counts, fractions ("0.8571") and seconds: plain values, never "85,7 %"
    words_of = {locale: by_code[locale]["defective"]["category_words"] for locale in HEADERS}
    assert words_of == {
        "es": "llegó dañado o con fallas",
        "pt": "chegou danificado ou com defeito",
        "en": "arrived damaged or faulty",
    }
    assert re.fullmatch(r"0\.\d{4}|1\.0000", by_code["en"]["defective"]["responded_share"])


@pytest.mark.parametrize(
    ("locale", "written"),
    [
        (
            "es",
            ["1.234.567", "12,5\xa0%", "33\xa0%", "—", "más de 30 d", "cancelación del comprador", "verde"],
        ),
        ("pt", ["1.234.567", "12,5%", "33%", "—", "mais de 30 d", "cancelamento do comprador", "verde"]),
        ("en", ["1,234,567", "12.5%", "33%", "—", "more than 30 d", "cancelled by the buyer", "green"]),
    ],
)
def test_the_boards_words_and_numbers_on_their_own(locale: str, written: list[str]) -> None:
    from mostrador.dashboards import histogram, numbers, reputation, words

    with i18n.using(locale):
        assert [
            numbers.count(1_234_567),
            numbers.percent(0.125),
            numbers.share(1, 3, digits=0),
            numbers.share(1, 0),
            histogram.Percentile(99, histogram.EDGES[-1], None).words(),
            words.claim_type("cancel_purchase"),
            reputation.band_words("green"),
        ] == written
        assert words.claim_type("brand_new_type") == "brand_new_type"  # a code we do not know, as is
