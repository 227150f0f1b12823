"""`mostrador doctor`: look at an installation the way an operator would and name every problem with
its fix: settings, the database and its migrations, DBOS's system database, the OAuth callback URL, and
each connected account. Exits 1 when it found a problem (warnings alone exit 0).

It changes nothing, with one exception on purpose: an account whose access token has expired gets it
refreshed, exactly as a worker would before its next call (single-flight, stored at once), because
whether a token is refreshable can only be learnt by refreshing it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

import httpx
import typer
from cryptography.fernet import Fernet

from mostrador.settings import MIN_SECRET_KEY_BYTES, Settings

if TYPE_CHECKING:
    from mostrador.context import AppContext

Severity = Literal["ok", "warning", "problem"]
KEY_HINT = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
STALE_NOTIFICATIONS = timedelta(hours=6)


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    message: str
    fix: str = ""


def ok(check: str, message: str = "ok") -> Finding:
    return Finding(check, "ok", message)


def problem(check: str, message: str, fix: str) -> Finding:
    return Finding(check, "problem", message, fix)


def warning(check: str, message: str, fix: str) -> Finding:
    return Finding(check, "warning", message, fix)


# ---- settings --------------------------------------------------------------------------------------
def check_settings(settings: Settings) -> Iterator[Finding]:
    yield from _secret_key(settings)
    yield from _token_keys(settings)
    if not settings.meli_client_id or not settings.meli_client_secret.get_secret_value():
        yield problem(
            "settings: Mercado Libre application",
            "MOSTRADOR_MELI_CLIENT_ID or MOSTRADOR_MELI_CLIENT_SECRET is empty",
            "copy both from your application in Mercado Libre's DevCenter",
        )
    else:
        yield ok("settings: Mercado Libre application")
    for name in ("public_url", "meli_api_url", "meli_auth_url"):
        yield _url(name, getattr(settings, name))
    host = urlsplit(settings.public_url).hostname or ""
    if settings.public_url.startswith("http://") and host not in ("127.0.0.1", "localhost", "::1"):
        yield warning(
            "settings: public_url",
            f"{settings.public_url} is not HTTPS; Mercado Libre requires an HTTPS redirect URI",
            "serve the app behind a TLS proxy and set MOSTRADOR_PUBLIC_URL=https://… (docs/deploy.md)",
        )
    yield from _multiprocess_dir()


def _secret_key(settings: Settings) -> Iterator[Finding]:
    check = "settings: session secret key"
    if settings.secret_key is not None:
        size = len(settings.secret_key.get_secret_value().encode())
        source = "MOSTRADOR_SECRET_KEY"
    else:
        path = settings.data_dir / "secret_key"
        if not path.exists():
            if settings.is_postgres:
                yield warning(
                    check,
                    f"no MOSTRADOR_SECRET_KEY and no {path}: each host would generate its own key",
                    "set one MOSTRADOR_SECRET_KEY for every web process: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(48))'",
                )
            else:
                yield ok(check, f"generated into {path} at the first start")
            return
        size = len(path.read_text().strip().encode())
        source = str(path)
    if size < MIN_SECRET_KEY_BYTES:
        yield problem(
            check,
            f"{source} holds {size} bytes; at least {MIN_SECRET_KEY_BYTES} are needed",
            "set a longer MOSTRADOR_SECRET_KEY: python -c 'import secrets; print(secrets.token_urlsafe(48))'",
        )
    else:
        yield ok(check)


def _token_keys(settings: Settings) -> Iterator[Finding]:
    check = "settings: token keys"
    keys = [k.get_secret_value() for k in settings.token_keys]
    if not keys:
        path = settings.data_dir / "token_key"
        if not path.exists():
            yield ok(check, f"generated into {path} at the first start")
            return
        keys = [path.read_text().strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            yield problem(
                check,
                f"key {position} of MOSTRADOR_TOKEN_KEYS is not a Fernet key (32 bytes, url-safe base64)",
                f"replace it with a new key ({KEY_HINT}); tokens encrypted with the bad one cannot be read",
            )
            return
    yield ok(check, f"{len(keys)} key(s)")


def _url(name: str, value: str) -> Finding:
    check = f"settings: {name}"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return problem(
            check,
            f"{value!r} is not an absolute http(s) URL",
            f"set MOSTRADOR_{name.upper()} to a URL such as https://host (docs/operations.md)",
        )
    return ok(check, value)


def _multiprocess_dir() -> Iterator[Finding]:
    from mostrador.observability.metrics import MULTIPROC_ENV, multiprocess_dir

    directory = multiprocess_dir()
    if directory is None:
        return
    check = f"settings: {MULTIPROC_ENV}"
    if not Path(directory).is_dir() or not os.access(directory, os.W_OK):
        yield problem(
            check,
            f"{directory} is not a writable directory: every process fails its first metric",
            f"create it for the service's user (mkdir -p {directory}), or unset {MULTIPROC_ENV}",
        )
    else:
        yield ok(check, directory)


# ---- databases -------------------------------------------------------------------------------------
def check_database(settings: Settings) -> Iterator[Finding]:
    from mostrador.store import migrate, system
    from mostrador.store.db import make_engine

    engine = make_engine(settings.resolved_database_url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        system.ping(engine)
    except Exception as exc:
        yield problem(
            "database",
            f"cannot connect to {where}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
            "check MOSTRADOR_DATABASE_URL (host, port, user, password) and that the server runs",
        )
        engine.dispose()
        return
    yield ok("database", where)
    at, heads = migrate.current(engine), migrate.heads()
    if at != heads:
        yield problem(
            "migrations",
            f"the database is at {', '.join(sorted(at)) or 'no revision'}; this version expects "
            f"{', '.join(sorted(heads))}",
            "run `mostrador migrate` (once, before starting the new version's processes)",
        )
    else:
        yield ok("migrations", f"at head ({', '.join(sorted(heads))})")
    engine.dispose()


def check_dbos(settings: Settings) -> Iterator[Finding]:
    from mostrador.settings import normalise_db_url
    from mostrador.store import system
    from mostrador.store.db import make_engine
    from mostrador.workflows.runtime import check_platform

    try:
        check_platform(settings.resolved_dbos_url)
    except RuntimeError as exc:
        yield problem("DBOS system database", str(exc), "see docs/operations.md")
        return
    engine = make_engine(normalise_db_url(settings.resolved_dbos_url))
    where = engine.url.render_as_string(hide_password=True)
    try:
        system.ping(engine)
        ready = system.dbos_ready(engine)
    except Exception as exc:
        yield problem(
            "DBOS system database",
            f"cannot connect to {where}: {type(exc).__name__}",
            "check MOSTRADOR_DBOS_DATABASE_URL (default: beside MOSTRADOR_DATABASE_URL)",
        )
        return
    finally:
        engine.dispose()
    if ready:
        yield ok("DBOS system database", where)
    else:
        yield warning(
            "DBOS system database",
            f"{where} has no DBOS tables yet",
            "they are created by the first `mostrador serve` or `mostrador worker`; if one already runs, "
            "it uses another MOSTRADOR_DBOS_DATABASE_URL",
        )


# ---- the OAuth callback ----------------------------------------------------------------------------
def check_callback(settings: Settings, http: httpx.Client) -> Iterator[Finding]:
    base = settings.public_url.rstrip("/")
    try:
        health = http.get(f"{base}/healthz")
        callback = http.get(settings.redirect_uri)
    except httpx.HTTPError as exc:
        yield problem(
            "OAuth callback URL",
            f"{settings.redirect_uri} cannot be reached: {type(exc).__name__}: {exc}",
            "start `mostrador serve`, check DNS and the TLS proxy, or fix MOSTRADOR_PUBLIC_URL: Mercado "
            "Libre sends sellers back to it after they grant access",
        )
        return
    ours = health.status_code == 200 and health.headers.get("content-type", "").startswith("application/json")
    # Without a login the callback answers with a redirect to the login page: that is Mostrador.
    routed = callback.status_code in (302, 303, 307) and "/login" in callback.headers.get("location", "")
    if not (ours and routed):
        yield problem(
            "OAuth callback URL",
            f"{settings.redirect_uri} answers {callback.status_code}, not as Mostrador does "
            f"({base}/healthz: {health.status_code})",
            "point the proxy's location / at the web processes, or fix MOSTRADOR_PUBLIC_URL",
        )
        return
    yield ok("OAuth callback URL", settings.redirect_uri)


# ---- accounts --------------------------------------------------------------------------------------
def check_accounts(settings: Settings) -> Iterator[Finding]:
    from mostrador.context import build_context

    ctx = build_context(settings.model_copy().ensure_secrets())
    try:
        yield from asyncio.run(_accounts(ctx))
    finally:
        ctx.engine.dispose()


async def _accounts(ctx: AppContext) -> list[Finding]:
    """One finding or more per account; one call to Mercado Libre per account (`/users/me`)."""
    from mostrador.accounts import tokens
    from mostrador.meli import errors as meli_errors
    from mostrador.security.crypto import TokenDecryptError
    from mostrador.store import accounts as accounts_store
    from mostrador.store import notifications as notifications_store
    from mostrador.store import outbox as outbox_store
    from mostrador.store.db import transaction
    from mostrador.store.models import utcnow

    found: list[Finding] = []
    with transaction(ctx.sessions) as s:
        accounts = [
            (a.id, a.nickname, a.status, a.status_detail, a.last_notification_at, a.token_version)
            for a in accounts_store.all_accounts(s)
        ]
        stuck = len(notifications_store.failed_notifications(s))
    if stuck:
        found.append(
            problem(
                "notifications",
                f"{stuck} notification(s) could not be turned into work (dispatch_failed)",
                "`mostrador notifications failed` shows why; fix it, then "
                "`mostrador notifications redispatch --all`",
            )
        )
    if not accounts:
        found.append(warning("accounts", "no account connected", "Cuentas → Conectar una cuenta"))
    now = utcnow()
    try:
        for account_id, nickname, status, detail, last_seen, version in accounts:
            check = f"account {nickname} ({account_id})"
            if status in ("revoked", "disconnected"):
                found.append(problem(check, f"{status}: {detail or 'no access'}", "Cuentas → Reconectar"))
                continue
            if status == "refresh_failing":
                found.append(
                    problem(
                        check,
                        f"token refresh failing: {detail}",
                        "wait a minute and run doctor again; if it persists, Cuentas → Reconectar",
                    )
                )
                continue
            try:
                token = await tokens.current_token(ctx, account_id)
            except (tokens.AccountUnavailable, tokens.TokenRefreshFailed) as exc:
                found.append(
                    problem(check, f"token expired and not refreshable: {exc}", "Cuentas → Reconectar")
                )
                continue
            except TokenDecryptError:
                found.append(
                    problem(
                        check,
                        "its tokens cannot be decrypted with MOSTRADOR_TOKEN_KEYS",
                        "put the key they were encrypted with back into MOSTRADOR_TOKEN_KEYS",
                    )
                )
                continue
            try:
                await ctx.meli.get_me(token.token)
            except meli_errors.Unauthorized as exc:
                found.append(
                    problem(check, f"Mercado Libre refuses its token: {exc}", "Cuentas → Reconectar")
                )
                continue
            except meli_errors.MeliError as exc:
                found.append(
                    warning(
                        check,
                        f"Mercado Libre could not be asked ({type(exc).__name__}: {exc})",
                        f"check MOSTRADOR_MELI_API_URL ({ctx.settings.meli_api_url}) and this host's network",
                    )
                )
                continue
            refreshed = token.version != version
            found.append(ok(check, "token refreshed now, works" if refreshed else "token works"))
            if last_seen is None:
                found.append(warning(check, "no notification received yet", _TOPICS_FIX))
            elif now - last_seen > STALE_NOTIFICATIONS:
                found.append(warning(check, f"last notification {last_seen:%Y-%m-%d %H:%M} UTC", _TOPICS_FIX))
            with transaction(ctx.sessions) as s:
                failed = outbox_store.counts_by_status(s, [account_id]).get("failed", 0)
            if failed:
                found.append(
                    warning(
                        check,
                        f"{failed} repl{'y' if failed == 1 else 'ies'} failed to send",
                        "open them in the inbox (filter: failed) to read why, then Reintentar",
                    )
                )
    finally:
        await ctx.aclose()
    return found


_TOPICS_FIX = (
    "check the notifications callback ($MOSTRADOR_PUBLIC_URL/notifications) and the topics in DevCenter; "
    "the sweeps keep answering meanwhile"
)


# ---- the command -----------------------------------------------------------------------------------
def diagnose(settings: Settings, http: httpx.Client | None = None) -> list[Finding]:
    """Every finding, in the order checked; later checks are skipped when what they need is broken."""
    findings = list(check_settings(settings))
    findings += check_database(settings)
    findings += check_dbos(settings)
    client = http or httpx.Client(timeout=5, follow_redirects=False)
    try:
        findings += check_callback(settings, client)
    finally:
        if http is None:
            client.close()
    broken = {f.check for f in findings if f.severity == "problem"}
    blocking = {"database", "migrations", "settings: token keys", "settings: session secret key"}
    blocking.add("settings: PROMETHEUS_MULTIPROC_DIR")  # the accounts' checks record metrics there
    if broken & blocking:
        findings.append(
            warning("accounts", "not checked", "fix the problems above first, then run doctor again")
        )
    elif not _keys_exist(settings):
        findings.append(ok("accounts", "none: no token key has been generated yet"))
    else:
        findings += check_accounts(settings)
    return findings


def _keys_exist(settings: Settings) -> bool:
    """Whether the secrets exist already: doctor must not generate them (the first start does)."""
    secret = settings.secret_key is not None or (settings.data_dir / "secret_key").exists()
    keys = bool(settings.token_keys) or (settings.data_dir / "token_key").exists()
    return secret and keys


LABELS: dict[Severity, str] = {"ok": "ok", "warning": "WARNING", "problem": "PROBLEM"}


def report(findings: list[Finding], echo: Callable[[str], None]) -> int:
    """Print every finding; the exit status: 1 if any problem."""
    for f in findings:
        echo(f"{LABELS[f.severity]:<8} {f.check}: {f.message}")
        if f.fix:
            echo(f"{'':<8} fix: {f.fix}")
    problems = sum(f.severity == "problem" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    echo(f"{problems} problem(s), {warnings} warning(s)")
    return 1 if problems else 0


def doctor(
    data_dir: Annotated[
        Path | None, typer.Option(help="Data directory (default MOSTRADOR_DATA_DIR).")
    ] = None,
) -> None:
    """Check settings, database, migrations, DBOS, the OAuth callback URL and every account."""
    settings = Settings()
    if data_dir is not None:
        settings.data_dir = data_dir
    raise typer.Exit(report(diagnose(settings), typer.echo))
