"""The inbox in Portuguese and English (docs/i18n.md): the list, a question thread, a post-sale chat and a
claim read in the reader's language — headings, labels, buttons, the claim's stage and status, a
moderated message's notice, the reply clock, the guard's verdict — with no Spanish word of the pages
left; a person's own choice beats the browser's; dates and money in the side panel written their way.
Buyers' words stay as they were written."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import httpx
import pytest
from sqlalchemy import select

from mostrador import i18n
from mostrador.cli import i18n_cmd
from mostrador.context import AppContext
from mostrador.conversations import service as conv
from mostrador.store.db import transaction
from mostrador.store.models import Account, Conversation
from mostrador.store.models.people import User
from mostrador.users.service import choose_language, create_user
from mostrador.web import formatting
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD, Market, log_in
from .sandbox_grant import Connected
from .sandbox_grant import ingest as ingest_topic

PT = {"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-US,en;q=0.9"}
HEADERS = {"pt": PT, "en": EN}
LONG_AGO = datetime.now(UTC) - timedelta(days=9)  # every reply window ran out long before now


class _Text(HTMLParser):
    """What a person reads in a page's <main>: text and visible attributes, outside <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.runs: list[str] = []
        self._main = self._script = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._main += tag == "main"
        self._script += tag == "script"
        if self._main and not self._script:
            self.runs += [v or "" for k, v in attrs if k in ("title", "placeholder", "aria-label")]

    def handle_endtag(self, tag: str) -> None:
        self._main -= tag == "main"
        self._script -= tag == "script"

    def handle_data(self, data: str) -> None:
        if self._main and not self._script and data.strip():
            self.runs.append(data.strip())


def spanish_left(page: str, locale: str) -> list[str]:
    """Runs of the page's text that are a Spanish sentence of the catalogs whose `locale` translation
    differs (buyers' texts are no msgid): what was left untranslated."""
    catalog = i18n_cmd.read(locale)
    # A msgid that is also a translation in `locale` ("Todas" is Portuguese too) is not a leftover.
    own = {m.string for m in catalog if isinstance(m.string, str)}
    spanish = {
        m.id
        for m in catalog
        if isinstance(m.id, str) and m.id and "%(" not in m.id and m.string and m.id not in own
    }
    parser = _Text()
    parser.feed(page)
    return [run for run in parser.runs if run.rstrip(":.") in spanish or run in spanish]


def assert_no_spanish(page: str, locale: str, also: tuple[str, ...] = ()) -> None:
    left = spanish_left(page, locale)
    assert not left, f"Spanish left in the {locale} page: {left}"
    for phrase in also:
        assert phrase not in page, f"{phrase!r} left in the {locale} page"


# Spanish phrases of the inbox that are never Portuguese or English (pt shares "Responder", "Buscar"…).
SPANISH = (
    "Sin responder",
    "sin responder",
    "Tomar la conversación",
    "Sin asignar",
    "Quitar filtros",
    "Asignadas",
    "Publicación",
    "Responder en",
    "vencido hace",
    "cuenta SELLER1",
    "Por vencer",
)


def _workspace(ctx: AppContext, account_id: int) -> int:
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        return account.workspace_id


def seed(ctx: AppContext, account_id: int) -> dict[str, int]:
    """A question the bot left to a person (long overdue), and a post-sale chat with a reply Mercado
    Libre moderated and the buyer's answer waiting. Mercado Libre is a closed port here: the side panel's
    live reads fail at once (the page says so, in words)."""
    ctx.settings.meli_api_url = ctx.settings.meli_auth_url = "http://127.0.0.1:9"
    with transaction(ctx.sessions) as s:
        account = s.get(Account, account_id)
        assert account is not None
        question = conv.open_thread(
            s, account, conv.ThreadKey("questions", "MLA77:901"), "901", "COMPRADOR_Q", "Mate", "MLA77"
        )
        conv.record_inbound(
            s,
            question,
            "q901",
            "¿Tienen el <b>modelo</b> grande?",
            LONG_AGO,
            external_status="UNANSWERED",
            meta={"intents": ["availability"], "reason": "low_confidence"},
        )
        question.owner = "agent"
        chat = conv.open_thread(
            s, account, conv.ThreadKey("messages", "2000000901"), "902", "COMPRADOR_M", "Venta"
        )
        conv.record_inbound(s, chat, "m1", "¿Cuándo llega?", LONG_AGO)
        conv.record_outbound(
            s,
            chat,
            "r1",
            "Escribime al 11 5555 5555",
            "agent",
            "sent",
            meta={"moderation": {"status": "rejected", "reason": "OUT_OF_PLACE_LANGUAGE"}},
            sent_at=LONG_AGO + timedelta(minutes=5),
        )
        conv.record_inbound(s, chat, "m2", "¿Me respondés?", LONG_AGO + timedelta(minutes=10))
        return {"question": question.id, "chat": chat.id}


def pages(ctx: AppContext, email: str, paths: list[str], headers: dict[str, str]) -> list[str]:
    async def go() -> list[str]:
        app = create_app(ctx.settings, ctx, durable=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            await log_in(c, email)
            found = []
            for path in paths:
                r = await c.get(path, headers=headers)
                assert r.status_code == 200, (path, r.status_code)
                found.append(r.text)
            return found

    return asyncio.run(go())


@pytest.mark.parametrize("locale", ["pt", "en"])
def test_the_list_a_question_and_a_chat_read_in_the_browser_s_language(
    ctx: AppContext, account_id: int, agent_email: str, locale: str
) -> None:
    made = seed(ctx, account_id)
    questions, chats, question, chat = pages(
        ctx,
        agent_email,
        [
            "/inbox?channel=questions",
            "/inbox?channel=messages",
            f"/inbox/{made['question']}",
            f"/inbox/{made['chat']}",
        ],
        HEADERS[locale],
    )
    said = {
        "pt": {
            "list": ["Perguntas", "Mensagens", "Sem resposta", "Vencida", "1 conversa", "Atribuídas"],
            "tab": 'title="sem resposta"',
            "question": [
                "Pergunta sobre: estoque",
                "O bot não respondeu: o bot não tem certeza do que é perguntado.",
                "Assumir a conversa",
                "Devolver ao bot",
                "O bot passou para uma pessoa; ninguém assumiu.",
                "Sem atribuição",
                "O bot entendeu bem? Ensine-o",
                "Não foi possível ler o anúncio MLA77 agora.",
            ],
            "chat": [
                "O Mercado Livre moderou esta mensagem: o comprador não a vê — o Mercado Livre leu como "
                "dados de contato ou linguagem inadequada (telefones, e-mails, links, números longos). "
                "Escreva de novo sem isso.",
                "Mensagem ao comprador",
                "Até 350 caracteres, sem dados de contato",
                "Anexar arquivos",
                "JPG, PNG, PDF ou TXT, até ",
                "Outras conversas",
                "Não foi possível ler as compras agora.",
            ],
            "overdue": "venceu há {time}",
        },
        "en": {
            "list": [
                "Questions",
                "Messages",
                "Unanswered",
                "Overdue",
                "1 conversation",
                "Assigned",
                "Search",
            ],
            "tab": 'title="unanswered"',
            "question": [
                "Asks about: stock",
                "The bot did not answer: the bot is not sure what is asked.",
                "Take over the conversation",
                "Hand back to the bot",
                "The bot handed it to a person; nobody took it over.",
                "Unassigned",
                "Did the bot get it right? Teach it",
                "Listing MLA77 could not be read now.",
            ],
            "chat": [
                "Mercado Libre moderated this message: the buyer does not see it — Mercado Libre read it as "
                "contact details or out-of-place language (phones, e-mails, links, long numbers). Write it "
                "again without that.",
                "Message to the buyer",
                "Up to 350 characters, no contact details",
                "Attach files",
                "JPG, PNG, PDF or TXT, up to ",
                "Other conversations",
                "Their purchases could not be read now.",
            ],
            "overdue": "overdue by {time}",
        },
    }[locale]
    for words in said["list"]:
        assert words in questions, words
    assert said["tab"] in chats  # the waiting chat's count on its tab
    with i18n.using(locale):
        overdue_by = i18n.gettext("vencido hace %(time)s") % {"time": ""}
    assert overdue_by.strip() in questions  # the clock of a question waiting for days
    script = re.search(r'<script type="application/json" id="page-words">(.*?)</script>', questions)
    assert script and json.loads(script.group(1))["overdue"] == said["overdue"]  # what countdown.js shows
    for words in said["question"]:
        assert words in question, words
    for words in said["chat"]:
        assert words in chat, words
    # Buyers' words stay as written, escaped.
    assert "¿Tienen el &lt;b&gt;modelo&lt;/b&gt; grande?" in question and "<b>modelo" not in question
    assert "¿Me respondés?" in chat
    for page in (questions, chats, question, chat):
        assert_no_spanish(page, locale, SPANISH)


def test_spanish_stays_the_default_and_the_labels_do_not_stick_to_a_language(
    ctx: AppContext, account_id: int, agent_email: str
) -> None:
    """Jinja keeps an imported template rendered once: the labels must follow each request's language
    (pt, then Spanish, then en in one process)."""
    made = seed(ctx, account_id)
    path = f"/inbox/{made['chat']}"
    [pt] = pages(ctx, agent_email, [path], PT)
    [es] = pages(ctx, agent_email, [path], {})
    [en] = pages(ctx, agent_email, [path], EN)
    assert '<strong class="by">Agente</strong>' in pt  # pt and es share the word
    assert '<strong class="by">Comprador</strong>' in es and "Mercado Libre moderó este mensaje" in es
    assert '<strong class="by">Agent</strong>' in en and '<strong class="by">Buyer</strong>' in en
    assert "Moderado" not in en and "moderó" not in pt


def test_a_person_s_own_language_beats_the_browser_s(
    ctx: AppContext, account_id: int, agent_email: str
) -> None:
    made = seed(ctx, account_id)
    with transaction(ctx.sessions) as s:
        ana = s.scalars(select(User).where(User.email == agent_email)).one().id
    choose_language(ctx.sessions, ana, "en")
    [page] = pages(ctx, agent_email, [f"/inbox/{made['question']}"], PT)
    assert "Take over the conversation" in page and "Assumir a conversa" not in page
    assert_no_spanish(page, "en", SPANISH)


def test_the_guard_and_the_refusals_speak_the_reader_s_language(
    ctx: AppContext, account_id: int, agent_email: str
) -> None:
    made = seed(ctx, account_id)

    async def go() -> None:
        app = create_app(ctx.settings, ctx, durable=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            await log_in(c, agent_email)
            check = f"/inbox/{made['chat']}/check"
            bad = await c.post(check, data={"text": "te espero al 11 4444 5555"}, headers=EN)
            assert (
                "The text breaks Mercado Libre&#39;s rules: it has a phone number (11 4444 5555)." in bad.text
            )
            good = await c.post(check, data={"text": "Sale mañana {title}"}, headers=PT)
            assert "O texto" not in good.text and "Cumpre as regras do Mercado Livre" in good.text
            unknown = await c.post(check, data={"text": "Hola {nope}"}, headers=EN)
            assert "There is no variable {nope} here. You can use: " in unknown.text
            empty = await c.post(f"/inbox/{made['chat']}/reply", data={"text": "   "}, headers=PT)
            assert empty.status_code == 422 and "O texto está vazio." in empty.text
            refused = await c.post(
                f"/inbox/{made['question']}/answer", data={"question_id": "nope", "text": "Sí"}, headers=EN
            )
            assert (
                refused.status_code == 422
                and "That question is not part of this conversation." in refused.text
            )
            missing = await c.get("/inbox/999999", headers=PT)
            assert missing.status_code == 404

    asyncio.run(go())


# ---- against the sandbox: a claim, and the side panel's dates and money --------------------------------
def _thread(postsale: Connected, channel: str, key: str) -> int:
    with transaction(postsale.ctx.sessions) as s:
        return s.scalars(
            select(Conversation.id).where(Conversation.channel == channel, Conversation.external_key == key)
        ).one()


def test_a_claim_and_the_side_panel_in_portuguese_and_english(postsale: Connected, market: Market) -> None:
    create_user(postsale.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    order = market.sale("Lámpara de escritorio", nickname="COMPRADORA_FIEL")
    opened = market.open_claim(order, reason_id="PDD9944")
    ingest_topic(postsale, "post_purchase", opened["id"])
    claim = _thread(postsale, "claims", str(opened["id"]))
    item = order["order_items"][0]["item"]["id"]
    buyer = order["buyer"]
    ingest_topic(postsale, "questions", market.buyer_asks(order, "¿Tiene garantía?")["id"])
    question = _thread(postsale, "questions", f"{item}:{buyer['id']}")

    async def read() -> dict[str, tuple[str, str, str]]:
        """Each language's claims list, claim page and question page (one app: one event loop)."""
        app = create_app(postsale.ctx.settings, postsale.ctx, durable=False)
        read: dict[str, tuple[str, str, str]] = {}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            await log_in(c, "ana@example.com")
            for locale, headers in (*HEADERS.items(), ("es", {})):
                listing = (await c.get("/inbox?channel=claims", headers=headers)).text
                page = (await c.get(f"/inbox/{claim}", headers=headers)).text
                panel = (await c.get(f"/inbox/{question}", headers=headers)).text
                read[locale] = (listing, page, panel)
        return read

    shown = asyncio.run(read())

    expected = {
        "pt": (
            ["Reclamações", "Aberta", "Reclamação (entre comprador e vendedor)", "agir em"],
            [
                "Etapa",
                "Reclamação (entre comprador e vendedor)",
                "Aberta",
                "Reputação",
                "Prazo para agir",
                "Suas mensagens vão",
                "ao comprador",
                "Mensagem na reclamação",
                "Devolver o dinheiro",
                "Confirmo",
            ],
            ["Anúncio", "Preço", "Compras nesta conta", "Conta vendedora: ", "paga"],
        ),
        "en": (
            ["Claims", "Open", "Claim (between buyer and seller)", "act within"],
            [
                "Stage",
                "Claim (between buyer and seller)",
                "Open",
                "Reputation",
                "Deadline to act",
                "Your messages go",
                "to the buyer",
                "Message in the claim",
                "Refund the money",
                "I confirm",
            ],
            ["Listing", "Price", "Purchases from this account", "Seller account: ", "paid"],
        ),
    }
    for locale, (in_list, in_claim, in_panel) in expected.items():
        listing, page, panel = shown[locale]
        for words in in_list:
            assert words in listing, (locale, words)
        for words in in_claim:
            assert words in page, (locale, words)
        for words in in_panel:
            assert words in panel, (locale, words)
        for html in (listing, page, panel):
            assert_no_spanish(html, locale, SPANISH)
    listing, page, panel = shown["es"]  # and Spanish with no header at all
    assert "Reclamo (entre comprador y vendedor)" in page and "Compras a esta cuenta" in panel
    # The side panel's money and dates, written each reader's way: the sale's total, and when it was made.
    total = float(order["total_amount"])
    written = {}
    for locale in ("es", "pt", "en"):
        with i18n.using(locale):
            written[locale] = formatting.money(total, "ARS")
        orders = shown[locale][2].split('class="buyer-orders"', 1)[1].split("</ul>", 1)[0]
        assert written[locale] in orders, (locale, written[locale])
        clock = (
            r"· \d{2}/\d{2} \d{1,2}:\d{2}\u202f[AP]M" if locale == "en" else r"· \d{2}/\d{2} \d{2}:\d{2}\s"
        )
        assert re.search(clock, orders), (locale, orders)
        assert ("M\n" in orders) == (locale == "en")  # 3:21 PM in English only
    assert len(set(written.values())) == 3  # three ways of writing one amount (ARS 1.234,50 / ARS1,234.50)
