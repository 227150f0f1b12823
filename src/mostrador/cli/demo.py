"""`mostrador demo`: sandbox + app (with workers) + optional simulated buyers, on SQLite, ready to click.

Everything goes over HTTP exactly as with the real marketplace: the app is registered in the sandbox,
a seller with realistic listings is created, and the seller is connected through the real OAuth flow
(this command follows the redirects itself, like a browser would).
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import secrets
import shutil
import signal
import threading
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urljoin

import httpx
import typer
from cryptography.fernet import Fernet
from pydantic import SecretStr

from mostrador.bot.claims import DEFAULT_CLAIM_RULES
from mostrador.channels.registry import PACK_CHANNEL_NAME, QUESTION_CHANNEL_NAME, SUBSCRIBED_TOPICS
from mostrador.cli.servers import ServerThread, free_port
from mostrador.context import build_context
from mostrador.settings import Settings

# The demo seller's business facts, so the bot can answer invoices, pickup and payment questions too.
DEMO_BOT = {
    "mode": "auto",
    # The post-sale bot answers "where is my purchase" from the live shipment, and writes first when a
    # sale ships (through Mercado Libre's action guide while the buyer has not written; docs/channels.md).
    "post_sale": True,
    "order_messages": [
        {
            "id": "despachado",
            "event": "shipped",
            "option": "OTHER",
            "text": {
                "es": "¡Hola {buyer}! Tu compra ya está en camino. Seguimiento: {tracking_number}.",
                "pt": "Olá {buyer}! Sua compra já está a caminho. Rastreamento: {tracking_number}.",
            },
        }
    ],
    "facts": {
        "invoice": {"issues": True, "kind": "Factura A y B"},
        "pickup": {"allowed": True, "area": "Palermo, CABA"},
        "payment_methods": {
            "es": "Aceptamos Mercado Pago: tarjetas en cuotas, débito, transferencia y efectivo.",
            "pt": "Aceitamos todos os meios do Mercado Pago: cartão parcelado, Pix e boleto.",
        },
        "shipping_notes": {
            "es": "Despachamos dentro de las 24 horas hábiles.",
            "pt": "Enviamos em até 24 horas úteis.",
        },
        "return_policy": {
            "es": "Podés devolverlo sin uso y en su caja dentro de los 30 días; la vuelta es gratis.",
            "pt": "Você pode devolvê-lo sem uso e na caixa em até 30 dias; o frete de volta é grátis.",
        },
    },
    # The product's first responses, plus one for claims of any other reason: every reason the buyer
    # simulator opens claims with gets a first response.
    "claim_rules": [
        *DEFAULT_CLAIM_RULES,
        {
            "id": "any_other",
            "when": ["other", "cancellation"],
            "text": {
                "es": "Hola, recibimos tu reclamo por {item_title} y ya lo estamos revisando. "
                "Te escribimos hoy con una solución.",
                "pt": "Olá, recebemos sua reclamação sobre {item_title} e já estamos verificando. "
                "Escrevemos hoje com uma solução.",
            },
        },
    ],
}
# The channels' topics, plus some the product ignores on purpose (acknowledged and counted).
TOPICS = [*SUBSCRIBED_TOPICS, "items", "shipments"]
DEMO_EMAIL = "admin@demo.mostrador.test"
# The team's first templates, with variables filled when a reply is sent (docs/inbox.md).
DEMO_TEMPLATES = [
    (
        "Precio y stock",
        QUESTION_CHANNEL_NAME,
        "¡Hola! Sale {price} y tenemos {stock} disponibles, {free_shipping}.",
    ),
    (
        "Seguimiento",
        PACK_CHANNEL_NAME,
        "Hola {buyer}: tu compra está {shipping_status}. Seguimiento: {tracking_number}.",
    ),
    ("Gracias", "", "¡Gracias por tu compra, {buyer}! Cualquier cosa, escribinos por acá."),
]


class DemoError(RuntimeError):
    """The demo could not be set up."""


def _hidden_inputs(page: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = html.unescape(value.group(1) if value else "")
    return fields


def connect_seller_via_oauth(
    app_url: str, email: str, password: str, seller: dict[str, Any], bot: dict[str, Any] | None = DEMO_BOT
) -> None:
    """Log into the inbox, start "connect account", consent in the sandbox, follow back to the app, and
    save `bot` as the account's bot settings (the demo's: answer on its own; None keeps the product
    default, drafts for a person to approve)."""
    with httpx.Client(follow_redirects=False, timeout=30) as web:
        login_page = web.get(f"{app_url}/login")
        csrf = _hidden_inputs(login_page.text)["csrf_token"]
        r = web.post(f"{app_url}/login", data={"email": email, "password": password, "csrf_token": csrf})
        if r.status_code != 303:
            raise DemoError(f"demo login failed: {r.status_code}")
        r = web.get(f"{app_url}/accounts/connect")
        authorize_url = r.headers["location"]
        consent = web.get(authorize_url)
        form = _hidden_inputs(consent.text)
        form.update({"nickname": seller["nickname"], "password": seller["password"], "decision": "allow"})
        r = web.post(urljoin(authorize_url, "/authorization"), data=form)
        if r.status_code not in (302, 303):
            raise DemoError(f"sandbox consent failed: {r.status_code} {r.text[:200]}")
        r = web.get(r.headers["location"])  # the app's /oauth/callback exchanges the code
        if r.status_code != 303 or not r.headers.get("location", "").startswith("/accounts"):
            raise DemoError(f"OAuth callback failed: {r.status_code} {r.text[:300]}")
        if bot is not None:
            _save_bot_settings(web, app_url, seller, bot)
            _save_templates(web, app_url)


def _save_templates(web: httpx.Client, app_url: str) -> None:
    """The demo team's templates, through the templates page (a second seller finds them saved)."""
    page = web.get(f"{app_url}/templates").text
    csrf = _hidden_inputs(page)["csrf_token"]
    for name, channel, text in DEMO_TEMPLATES:
        if f">{html.escape(name)} <" in page:
            continue
        form = {"name": name, "channel": channel, "text": text, "csrf_token": csrf}
        r = web.post(f"{app_url}/templates", data=form)
        if r.status_code != 303:
            raise DemoError(f"saving the template {name!r} failed: {r.status_code}")


def _save_bot_settings(web: httpx.Client, app_url: str, seller: dict[str, Any], bot: dict[str, Any]) -> None:
    """What the seller's admin does next: open the account's bot settings and save the demo's YAML."""
    from mostrador.bot import BotConfig

    accounts = web.get(f"{app_url}/accounts").text
    # The seller's row: data-account-id="N" … nickname #meli-user-id
    found = re.search(
        rf'data-account-id="(\d+)">\s*<td>[^<]*<span class="meta">#{seller["id"]}</span>', accounts
    )
    if found is None:
        raise DemoError("the connected account is not on the accounts page")
    account_id = found.group(1)
    form = _hidden_inputs(web.get(f"{app_url}/accounts/{account_id}/bot").text)
    form["yaml"] = BotConfig.from_data(bot).to_yaml()
    r = web.post(f"{app_url}/accounts/{account_id}/bot", data=form)
    if r.status_code != 303:
        raise DemoError(f"saving the demo bot settings failed: {r.status_code} {r.text[:300]}")


def setup_sandbox(sandbox_url: str, app_url: str, site_id: str) -> dict[str, Any]:
    """Register the app, create a seller with listings; returns ids and secrets the app needs."""
    from mostrador.sandbox.catalog import demo_listings

    with httpx.Client(base_url=sandbox_url, timeout=30) as api:
        app_reg = api.post(
            "/_sandbox/apps",
            json={
                "name": "Mostrador demo",
                "callback_url": f"{app_url}/notifications",
                "redirect_uri": f"{app_url}/oauth/callback",
                "topics": TOPICS,
                "pkce": True,
            },
        )
        app_reg.raise_for_status()
        seller = api.post(
            "/_sandbox/users", json={"nickname": "TIENDA_DEMO", "site_id": site_id, "role": "seller"}
        ).json()
        items = []
        for body in demo_listings(site_id):
            r = api.post("/items", json=body, headers={"Authorization": f"Bearer {seller['access_token']}"})
            if r.status_code >= 300:
                raise DemoError(
                    f"could not create listing {body.get('title')}: {r.status_code} {r.text[:200]}"
                )
            items.append(r.json()["id"])
    return {"app": app_reg.json(), "seller": seller, "items": items}


def child_process_settings(
    app_url: str, sandbox_url: str, app_registration: dict[str, Any], data_dir: Path, **extra: str
) -> tuple[Settings, dict[str, str]]:
    """Fresh secrets for an app connected to a sandbox: as `Settings`, and as the environment of a child
    `mostrador serve`/`worker` process (crash tests and the soak benchmark run the app that way)."""
    secret, key = secrets.token_urlsafe(32), Fernet.generate_key().decode()
    env = {
        **os.environ,
        "MOSTRADOR_DATA_DIR": str(data_dir),
        "MOSTRADOR_PUBLIC_URL": app_url,
        "MOSTRADOR_MELI_API_URL": sandbox_url,
        "MOSTRADOR_MELI_AUTH_URL": sandbox_url,
        "MOSTRADOR_MELI_CLIENT_ID": str(app_registration["client_id"]),
        "MOSTRADOR_MELI_CLIENT_SECRET": app_registration["client_secret"],
        "MOSTRADOR_SECRET_KEY": secret,
        "MOSTRADOR_TOKEN_KEYS": json.dumps([key]),
        **{f"MOSTRADOR_{name.upper()}": value for name, value in extra.items()},
    }
    settings = Settings(
        data_dir=data_dir,
        database_url=env.get("MOSTRADOR_DATABASE_URL"),
        secret_key=SecretStr(secret),
        token_keys=[SecretStr(key)],
    )
    return settings, env


def demo(
    data_dir: Annotated[
        Path, typer.Option(help="Where the demo keeps its SQLite files (wiped at start).")
    ] = Path(".mostrador-demo"),
    app_port: Annotated[int, typer.Option(help="App port (0 = any free port).")] = 8000,
    sandbox_port: Annotated[int, typer.Option(help="Sandbox port (0 = any free port).")] = 8099,
    simulate: Annotated[
        bool, typer.Option("--simulate/--no-simulate", help="Simulated buyer traffic.")
    ] = True,
    site: Annotated[str, typer.Option(help="Site of the demo seller (MLA, MLM, MLB).")] = "MLA",
    seed: Annotated[int, typer.Option(help="Seed for the sandbox and the simulator.")] = 7,
) -> None:
    """Start the sandbox, the app and (optionally) simulated buyers; print the inbox URL and a login."""
    from mostrador.sandbox.app import create_app as create_sandbox
    from mostrador.sandbox.config import SandboxConfig
    from mostrador.web.app import create_app

    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    app_port = app_port or free_port()
    sandbox_port = sandbox_port or free_port()
    app_url, sandbox_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{sandbox_port}"

    sandbox = ServerThread(
        create_sandbox(SandboxConfig(public_url=sandbox_url, seed=seed)), port=sandbox_port, name="sandbox"
    ).start()
    world = setup_sandbox(sandbox_url, app_url, site)
    settings = Settings(
        data_dir=data_dir,
        public_url=app_url,
        meli_api_url=sandbox_url,
        meli_auth_url=sandbox_url,
        meli_client_id=str(world["app"]["client_id"]),
        meli_client_secret=world["app"]["client_secret"],
    ).ensure_secrets()
    password = secrets.token_urlsafe(12)
    _create_admin(settings, password)
    typer.echo("training the question bot…")
    context = build_context(settings)
    context.bots.warm()  # the first answer must not wait for training
    web = ServerThread(create_app(settings, context), port=app_port, name="mostrador").start()
    stop = threading.Event()
    sim_thread: threading.Thread | None = None
    try:
        connect_seller_via_oauth(app_url, DEMO_EMAIL, password, world["seller"])
        if simulate:
            sim_thread = _start_simulator(sandbox_url, seed, stop)
        typer.echo(f"Mostrador inbox: {app_url}/inbox")
        typer.echo(f"Login: {DEMO_EMAIL} / {password}")
        typer.echo(f"Sandbox: {sandbox_url} (control API under /_sandbox, see docs/sandbox.md)")
        ready = {
            "app_url": app_url,
            "sandbox_url": sandbox_url,
            "sellers": [world["seller"]["id"]],
            "items": world["items"],
            "login": {"email": DEMO_EMAIL, "password": password},
            "data_dir": str(data_dir.resolve()),
            "simulate": simulate,
        }
        typer.echo("READY " + json.dumps(ready), color=False)
        _wait_for_interrupt(stop)
    finally:
        stop.set()
        if sim_thread is not None:
            sim_thread.join(timeout=10)
        web.stop()
        sandbox.stop()
        typer.echo("stopped")


def _create_admin(settings: Settings, password: str) -> None:
    from mostrador.store import migrate
    from mostrador.store.db import make_engine, make_sessionmaker
    from mostrador.users.service import create_user

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    create_user(make_sessionmaker(engine), DEMO_EMAIL, password, "Demo admin", "Demo")  # its owner
    engine.dispose()


def _start_simulator(sandbox_url: str, seed: int, stop: threading.Event) -> threading.Thread:
    from mostrador.sandbox.simulator import SimulatorConfig, run_simulator

    async def runner() -> None:
        done = asyncio.Event()
        task = asyncio.create_task(run_simulator(SimulatorConfig(sandbox_url=sandbox_url, seed=seed), done))
        await asyncio.to_thread(stop.wait)
        done.set()
        await task

    thread = threading.Thread(target=lambda: asyncio.run(runner()), name="simulator", daemon=True)
    thread.start()
    return thread


def _wait_for_interrupt(stop: threading.Event) -> None:
    def _handler(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
    while not stop.wait(0.5):
        pass
