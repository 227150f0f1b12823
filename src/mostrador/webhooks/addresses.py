"""Server-side request forgery: where a webhook may be sent.

An endpoint's URL is checked when it is saved (a clear error early) and its host is resolved and every
address checked again at each attempt, which then connects to the address that was checked (so a DNS
answer that changes between the check and the connection cannot point us at the inside). Only globally
routable addresses are allowed unless the operator allows private ones
(`MOSTRADOR_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from mostrador.i18n import gettext as _

MAX_URL = 2000


class AddressRefused(Exception):
    """The URL is malformed, or its host is (or resolves to) an address webhooks may not reach."""


class PrivateAddress(AddressRefused):
    """The host is (or resolves to) a private, loopback or otherwise non-public address."""


@dataclass(frozen=True)
class Target:
    """A URL split for sending: where to connect, and the host name to present (Host, TLS SNI)."""

    url: str
    scheme: str
    host: str
    port: int
    path: str  # with the query


def parse(url: str) -> Target:
    """Check the URL's shape: http(s), a host, no user:password part, not too long."""
    url = url.strip()
    if not url or len(url) > MAX_URL:
        raise AddressRefused(_("La URL debe tener entre 1 y %(max)d caracteres.") % {"max": MAX_URL})
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressRefused(_("La URL no es válida.")) from exc
    if parts.scheme not in ("http", "https"):
        raise AddressRefused(_("La URL debe empezar con https:// (o http://)."))
    if not parts.hostname:
        raise AddressRefused(_("La URL no tiene servidor."))
    if parts.username is not None or parts.password is not None:
        raise AddressRefused(_("La URL no puede llevar usuario ni contraseña."))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(url, parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def in_url(host: str) -> str:
    """A host as a URL or a Host header writes it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


def is_address(host: str) -> bool:
    """Whether a URL's host is an IP address written out (IPv4, or IPv6 without its brackets)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable unicast only: not private, loopback, link-local, multicast, reserved, shared
    (100.64/10), documentation or unspecified; IPv4-mapped IPv6 is judged as its IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_literal(target: Target, allow_private: bool) -> None:
    """On save: a host written as an IP address is judged now (names are judged at each attempt)."""
    try:
        address = ipaddress.ip_address(target.host)
    except ValueError:
        if not allow_private and target.host.rstrip(".").lower() in ("localhost", "localhost.localdomain"):
            raise PrivateAddress(_("No se envían webhooks a direcciones privadas o locales.")) from None
        return
    if not allow_private and not is_public(address):
        raise PrivateAddress(_("No se envían webhooks a direcciones privadas o locales."))


async def resolve(target: Target, allow_private: bool) -> str:
    """The address to connect to: every address the host resolves to must be allowed (an attacker who
    controls one of several DNS answers must not get the inside one)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            target.host, target.port, type=socket.SOCK_STREAM
        )
    except socket.gaierror as exc:
        raise ConnectionError(f"no se pudo resolver {target.host}: {exc.strerror}") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise ConnectionError(f"{target.host} no tiene direcciones")
    if not allow_private:
        refused = [str(a) for a in addresses if not is_public(a)]
        if refused:
            raise PrivateAddress(f"{target.host} resuelve a una dirección no pública ({', '.join(refused)})")
    return str(addresses[0])
