"""Files in agents' messages: Mercado Libre's rules checked when attached, the bytes kept until the
message is sent, uploaded once and posted with it (post-sale chats §8.4, claims §9.6); the files of a
thread fetched from Mercado Libre only for people of its workspace; bodies too large refused unread."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from mostrador.conversations.files import FileRules, NewFile
from mostrador.conversations.outgoing import ReplyRefused
from mostrador.inbox import actions
from mostrador.meli.api_messaging import MESSAGE_FILE_TYPES
from mostrador.meli.api_post_purchase import CLAIM_FILE_TYPES
from mostrador.store.db import transaction
from mostrador.store.models import Conversation, OutgoingFile
from mostrador.users.roles import Role
from mostrador.users.service import create_user
from mostrador.web.app import create_app

from .conftest import AGENT_PASSWORD, Market
from .sandbox_grant import Connected, deliver, sandbox_faults
from .sandbox_grant import ingest as ingest_topic

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300
PDF = b"%PDF-1.4\n" + b"1 0 obj <<>> endobj\n" * 20
CLAIM_RULES = FileRules(CLAIM_FILE_TYPES, max_bytes=5_000_000, max_files=5, max_total_bytes=25_000_000)
MESSAGE_RULES = FileRules(MESSAGE_FILE_TYPES, max_bytes=25_000_000, max_files=5, max_total_bytes=25_000_000)


# ---- the rules ----------------------------------------------------------------------------------------
def test_names_are_made_to_fit_mercado_libre_s_rule_instead_of_refused() -> None:
    checked = CLAIM_RULES.check(
        [
            NewFile("foto del paquete (1).JPG", "image/jpeg", JPEG),
            NewFile("Ñandú — recibo.pdf", "application/octet-stream", PDF),  # the browser did not know
            NewFile("foto del paquete (1).jpg", "image/jpeg", JPEG),
            NewFile("x" * 300 + ".png", "image/png", PNG),
        ]
    )
    assert [c.name for c in checked[:3]] == [
        "foto_del_paquete_1.jpg",
        "Nandu_recibo.pdf",
        "foto_del_paquete_1_2.jpg",
    ]
    assert [c.content_type for c in checked] == ["image/jpeg", "application/pdf", "image/jpeg", "image/png"]
    assert len(checked[3].name) == 125 and checked[3].name.endswith(".png")
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]{1,125}", c.name) for c in checked)
    assert checked[1].original_name == "Ñandú — recibo.pdf"


@pytest.mark.parametrize(
    ("rules", "file", "says"),
    [
        (CLAIM_RULES, NewFile("nota.txt", "text/plain", b"hola"), "solo acepta JPG, PNG o PDF"),
        (CLAIM_RULES, NewFile("foto.gif", "image/gif", b"GIF89a"), "«foto.gif»"),
        (CLAIM_RULES, NewFile("sin_extension", "image/jpeg", JPEG), "solo acepta"),
        (CLAIM_RULES, NewFile("falsa.pdf", "application/pdf", JPEG), "no es un archivo PDF válido"),
        (CLAIM_RULES, NewFile("vacia.png", "image/png", b""), "está vacío"),
        (CLAIM_RULES, NewFile("grande.jpg", "image/jpeg", JPEG + b"0" * 5_000_000), "el máximo es 5 MB"),
        (MESSAGE_RULES, NewFile("binario.txt", "text/plain", b"MZ\x00\x00"), "no es un archivo TXT válido"),
    ],
)
def test_a_file_mercado_libre_would_refuse_is_refused_naming_the_file_and_the_rule(
    rules: FileRules, file: NewFile, says: str
) -> None:
    with pytest.raises(ReplyRefused, match=says):
        rules.check([file])


def test_too_many_files_are_refused_and_an_empty_file_input_is_no_file() -> None:
    with pytest.raises(ReplyRefused, match="Hasta 5 archivos"):
        CLAIM_RULES.check([NewFile(f"f{i}.png", "image/png", PNG) for i in range(6)])
    assert CLAIM_RULES.check([NewFile("", "application/octet-stream", b"")]) == []
    assert MESSAGE_RULES.check([NewFile("notas.txt", "text/plain", "llegó roto".encode())])[
        0
    ].content_type == ("text/plain")


# ---- sending ----------------------------------------------------------------------------------------
@pytest.fixture
def agent(postsale: Connected) -> int:
    return create_user(postsale.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")


def thread_of(postsale: Connected, channel: str, key: int) -> Conversation:
    with transaction(postsale.ctx.sessions) as s:
        found = s.scalars(
            select(Conversation).where(Conversation.channel == channel, Conversation.external_key == str(key))
        ).one()
        s.expunge(found)
        return found


def files_of(postsale: Connected, entry_id: int) -> list[OutgoingFile]:
    with transaction(postsale.ctx.sessions) as s:
        rows = list(s.scalars(select(OutgoingFile).where(OutgoingFile.entry_id == entry_id)))
        s.expunge_all()
        return sorted(rows, key=lambda f: f.position)


def seller_download(market: Market, path: str, **params: Any) -> bytes:
    r = market.http.get(
        path, params=params, headers={"Authorization": f"Bearer {market.seller['access_token']}"}
    )
    r.raise_for_status()
    return r.content


def test_a_post_sale_reply_with_files_uploads_them_once_and_posts_them_with_the_text(
    postsale: Connected, market: Market, agent: int
) -> None:
    order = market.sale("Termo acero")
    pack_id = market.pack_of(order)
    ingest_topic(postsale, "messages", market.buyer_writes(order, "¿me mandan la factura?")["id"])
    thread = thread_of(postsale, "messages", pack_id)
    files = [NewFile("Factura A 0001.pdf", "application/pdf", PDF), NewFile("foto.png", "image/png", PNG)]
    text = "Te adjuntamos la factura y una foto del embalaje."

    reply = actions.reply(
        postsale.ctx, thread.workspace_id, agent, thread.id, text, reply_key="a" * 16, files=files
    )
    assert reply is not None
    # The same form submitted twice: one entry, its files kept once.
    again = actions.reply(
        postsale.ctx, thread.workspace_id, agent, thread.id, text, reply_key="a" * 16, files=files
    )
    assert again is None
    kept = files_of(postsale, reply.id)
    assert [(f.name, f.original_name, f.data) for f in kept] == [
        ("Factura_A_0001.pdf", "Factura A 0001.pdf", PDF),
        ("foto.png", "foto.png", PNG),
    ]

    # Mercado Libre is down for messages: the files are uploaded, the message is not; the next drive
    # posts it with the same uploads (none made twice).
    sandbox_faults(postsale, error_rate=1.0, error_statuses=[503], path_pattern=r"^/messages/packs/")
    try:
        assert deliver(postsale, reply.id) == "deferred"
    finally:
        sandbox_faults(postsale)
    uploaded = [f.remote_name for f in files_of(postsale, reply.id)]
    assert all(uploaded)
    assert deliver(postsale, reply.id) == "sent"

    posts = [e for e in market.log("messages") if int(e["pack_id"]) == pack_id and e["from_role"] == "seller"]
    assert [(p["text"], p["attachments"]) for p in posts] == [(text, uploaded)]
    for remote, data in zip(uploaded, (PDF, PNG), strict=True):
        assert (
            seller_download(market, f"/messages/attachments/{remote}", tag="post_sale", site_id="MLA") == data
        )
    # Sent: Mercado Libre keeps the files; only their description stays here.
    assert [(f.data, f.size) for f in files_of(postsale, reply.id)] == [(None, len(PDF)), (None, len(PNG))]


def test_a_claim_message_carries_its_files_and_a_refused_file_fails_the_send_with_the_reason(
    postsale: Connected, market: Market, agent: int
) -> None:
    claim = market.open_claim(market.sale("Auriculares"), "PDD9944")
    ingest_topic(postsale, "post_purchase", claim["id"])
    thread = thread_of(postsale, "claims", claim["id"])
    text = "Adjuntamos la foto del producto al despacharlo."
    reply = actions.reply(
        postsale.ctx,
        thread.workspace_id,
        agent,
        thread.id,
        text,
        reply_key="b" * 16,
        files=[NewFile("despacho.jpg", "image/jpeg", JPEG)],
    )
    assert reply is not None and deliver(postsale, reply.id) == "sent"
    [post] = [
        e
        for e in market.log("claim_messages")
        if int(e["claim_id"]) == claim["id"] and e["sender_role"] == "respondent" and e["text"] == text
    ]
    [remote] = post["attachments"]
    assert (
        seller_download(market, f"/post-purchase/v1/claims/{claim['id']}/attachments/{remote}/download")
        == JPEG
    )

    # A file the claim API refuses for good (the upload is answered 403): the reply fails and
    # says why, nothing is posted, and the agent can retry.
    sandbox_faults(postsale, error_rate=1.0, error_statuses=[403], path_pattern=r"/attachments$")
    try:
        second = actions.reply(
            postsale.ctx,
            thread.workspace_id,
            agent,
            thread.id,
            "Otra foto",
            reply_key="c" * 16,
            files=[NewFile("otra.png", "image/png", PNG)],
        )
        assert second is not None and deliver(postsale, second.id) == "failed"
    finally:
        sandbox_faults(postsale)
    assert not [e for e in market.log("claim_messages") if e.get("text") == "Otra foto"]
    assert files_of(postsale, second.id)[0].data == PNG  # kept for the retry


def test_questions_take_no_files(connected: Connected) -> None:
    from .sandbox_grant import ask_question

    question = ask_question(connected, "¿Tenés stock?")
    ingest_topic(connected, "questions", question["id"])
    with transaction(connected.ctx.sessions) as s:
        thread = s.scalars(select(Conversation).where(Conversation.channel == "questions")).one()
        s.expunge(thread)
    user = create_user(connected.ctx.sessions, "ana@example.com", AGENT_PASSWORD, "Ana", "w")
    with pytest.raises(ReplyRefused, match="no se pueden adjuntar"):
        actions.reply(
            connected.ctx,
            thread.workspace_id,
            user,
            thread.id,
            "Sí, hay stock.",
            in_reply_to=str(question["id"]),
            files=[NewFile("a.png", "image/png", PNG)],
        )


# ---- through the web: the form, the download, the limits ---------------------------------------------
async def _logged_in(client: httpx.AsyncClient, email: str) -> str:
    login = await client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
    r = await client.post("/login", data={"email": email, "password": AGENT_PASSWORD, "csrf_token": csrf})
    assert r.status_code == 303, r.text
    page = await client.get("/account/password")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def test_the_reply_form_takes_files_and_a_thread_s_files_open_only_for_its_workspace(
    postsale: Connected, market: Market, agent: int
) -> None:
    order = market.sale("Mochila")
    photo = market.buyer_uploads(order, "caja rota.jpg", JPEG)
    ingest_topic(postsale, "messages", market.buyer_writes(order, "Llegó así", attachments=[photo])["id"])
    thread = thread_of(postsale, "messages", market.pack_of(order))
    create_user(postsale.ctx.sessions, "lector@example.com", AGENT_PASSWORD, "Lu", "w", role=Role.VIEWER)
    create_user(postsale.ctx.sessions, "otra@example.com", AGENT_PASSWORD, "Otra", "otro-espacio")

    async def go() -> None:
        app = create_app(postsale.ctx.settings, postsale.ctx, durable=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as ana:
            csrf = await _logged_in(ana, "ana@example.com")
            page = await ana.get(f"/inbox/{thread.id}")
            assert 'enctype="multipart/form-data"' in page.text and 'name="files"' in page.text
            link = re.search(r'href="(/inbox/\d+/files/[^"]+)"', page.text)
            assert link is not None and "caja rota.jpg" in page.text
            # An image is shown inline, as a thumbnail that opens the full picture.
            assert f'<a href="{link.group(1)}" target="_blank" rel="noopener" class="thumb"' in page.text
            assert f'<img src="{link.group(1)}" alt="caja rota.jpg"' in page.text
            got = await ana.get(link.group(1))
            assert got.status_code == 200 and got.content == JPEG
            assert got.headers["content-type"] == "image/jpeg"
            assert got.headers["content-disposition"].startswith("inline;")
            assert "sandbox" in got.headers["content-security-policy"]
            assert got.headers["x-content-type-options"] == "nosniff"
            # Only names a message of this thread lists: never a name handed in the URL.
            assert (await ana.get(f"/inbox/{thread.id}/files/{photo}x")).status_code == 404

            wrong = await ana.post(
                f"/inbox/{thread.id}/reply",
                data={"text": "Mirá", "reply_key": "d" * 16, "csrf_token": csrf},
                files=[("files", ("video.mp4", b"\x00\x00\x00\x18ftypmp4", "video/mp4"))],
            )
            assert wrong.status_code == 422 and "«video.mp4»" in wrong.text and "Mirá" in wrong.text
            sent = await ana.post(
                f"/inbox/{thread.id}/reply",
                data={"text": "Te mandamos la guía", "reply_key": "e" * 16, "csrf_token": csrf},
                files=[("files", ("guía de envío.pdf", PDF, "application/pdf"))],
            )
            assert sent.status_code == 303
            shown = (await ana.get(f"/inbox/{thread.id}")).text
            assert "guía de envío.pdf" in shown  # listed with the pending message before it is sent

        async with httpx.AsyncClient(transport=transport, base_url="http://test") as lu:
            await _logged_in(lu, "lector@example.com")
            assert (await lu.get(link.group(1))).content == JPEG  # reading is a viewer's right
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as otra:
            await _logged_in(otra, "otra@example.com")
            assert (await otra.get(link.group(1))).status_code == 404

    asyncio.run(go())
    with transaction(postsale.ctx.sessions) as s:
        [kept] = s.scalars(select(OutgoingFile)).all()
        assert (kept.name, kept.data) == ("guia_de_envio.pdf", PDF)


def test_bodies_too_large_are_refused_before_they_are_read(ctx: Any, agent_email: str) -> None:
    async def go() -> None:
        app = create_app(ctx.settings, ctx, durable=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            big_form = await client.post(
                "/login", content=b"x" * 1_000_001, headers={"content-type": "text/plain"}
            )
            assert big_form.status_code == 413

            async def chunks() -> Any:  # no Content-Length: counted while read
                yield b'--z\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n\r\n%PDF-'
                for _ in range(30):
                    yield b"y" * 1_000_000

            streamed = await client.post(
                "/inbox/1/reply",
                content=chunks(),
                headers={"content-type": "multipart/form-data; boundary=z"},
            )
            assert streamed.status_code == 413
            small = await client.post("/login", data={"email": "a@b.c", "password": "x"})
            assert small.status_code != 413

    asyncio.run(go())


def test_a_hostile_file_name_is_shown_as_text(postsale: Connected, market: Market, agent: int) -> None:
    order = market.sale("Lámpara")
    hostile = '<img src=x onerror="alert(1)">.jpg'
    photo = market.buyer_uploads(order, hostile, JPEG)
    ingest_topic(postsale, "messages", market.buyer_writes(order, "<b>mirá</b>", attachments=[photo])["id"])
    thread = thread_of(postsale, "messages", market.pack_of(order))

    async def go() -> None:
        app = create_app(postsale.ctx.settings, postsale.ctx, durable=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as ana:
            await _logged_in(ana, "ana@example.com")
            page = (await ana.get(f"/inbox/{thread.id}")).text
            assert 'onerror="alert(1)"' not in page and "<b>mirá</b>" not in page
            assert "&lt;b&gt;mirá&lt;/b&gt;" in page
            assert 'alt="&lt;img src=x onerror=' in page and ">&lt;img src=x onerror=" in page

    asyncio.run(go())
