"""Evidences (§9.8): proof of a shipment made outside Mercado Envíos, or a promised shipping date.

The seller sends each once, while the claim is in stage `claim` (the actions `add_shipping_evidence`
and `send_potential_shipping` of §9.1); evidence cannot be edited nor sent during a dispute.
Required fields per `shipping_method` follow the official evidence page: by mail, by carrier
(`entrusted`), in person, by e-mail.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from mostrador.sandbox import claims
from mostrador.sandbox.claim_files import file_meta
from mostrador.sandbox.claims import ClaimError
from mostrador.sandbox.clock import MARKETPLACE_TZ, iso_marketplace
from mostrador.sandbox.records import Claim
from mostrador.sandbox.state import SandboxState

REQUIRED: dict[str, tuple[str, ...]] = {
    "mail": ("shipping_company_name", "date_shipped"),
    "entrusted": ("shipping_company_name", "destination_agency", "date_shipped", "receiver_name"),
    "personal_delivery": (),
    "email": ("receiver_email", "date_shipped"),
}
TEXTS = ("shipping_company_name", "tracking_number", "destination_agency", "receiver_name", "receiver_email")
DATES = ("date_shipped", "date_delivered")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Dates a shipment can plausibly carry (1970 to 2999), so every answer stays printable.
_EARLIEST, _LATEST = 0.0, datetime(3000, 1, 1, tzinfo=MARKETPLACE_TZ).timestamp()


def _refuse(message: str) -> ClaimError:
    return ClaimError(message, error="bad_request_error", status=400)


def parse_date(name: str, raw: Any) -> float:
    """§9.8: `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (with its offset) or `yyyy-MM-dd` (a day, in the
    marketplace zone)."""
    if not isinstance(raw, str):
        raise _refuse(f"{name} must be a date")
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            moment = datetime(day.year, day.month, day.day, tzinfo=MARKETPLACE_TZ)
        else:
            moment = datetime.fromisoformat(raw)
    except ValueError:
        raise _refuse(f"{name} must be yyyy-MM-dd or yyyy-MM-ddTHH:mm:ss.SSS with an offset") from None
    if moment.tzinfo is None:
        raise _refuse(f"{name} needs a UTC offset")
    if not _EARLIEST <= moment.timestamp() < _LATEST:
        raise _refuse(f"{name} is out of range")
    return moment.timestamp()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _attachments(claim: Claim, names: list[str]) -> list[str]:
    for name in names:
        if name not in claim.evidence_files:
            raise ClaimError(
                f"Attachment not found [claim: {claim.id} - fileName: {name}]",
                error="business_logic_error",
                status=400,
            )
    return list(names)


def add_shipping_evidence(state: SandboxState, claim: Claim, sent: dict[str, Any]) -> dict[str, Any]:
    """`POST …/actions/evidences` with a `shipping_evidence`; returns the stored evidence."""
    claims.seller_may(claim, "add_shipping_evidence")
    if sent.get("type") != "shipping_evidence":
        raise _refuse("type must be shipping_evidence")
    method = sent.get("shipping_method")
    if method not in REQUIRED:
        raise _refuse(f"shipping_method must be one of {', '.join(REQUIRED)}")
    missing = [name for name in REQUIRED[method] if _blank(sent.get(name))]
    if missing:
        raise _refuse(f"{', '.join(missing)} required for shipping_method {method}")
    email = sent.get("receiver_email")
    if not _blank(email) and not _EMAIL.fullmatch(str(email)):
        raise _refuse("receiver_email is not an e-mail address")
    receiver_id = sent.get("receiver_id")
    if isinstance(receiver_id, str) and receiver_id.isdigit():
        receiver_id = int(receiver_id)  # §9.8: sent as text, answered as a number
    evidence: dict[str, Any] = {
        "type": "shipping_evidence",
        "shipping_method": method,
        "receiver_id": None if _blank(receiver_id) else receiver_id,
        "attachments": _attachments(claim, sent.get("attachments") or []),
        "handling_date": None,
    }
    for name in TEXTS:
        evidence[name] = None if _blank(sent.get(name)) else str(sent[name]).strip()
    for name in DATES:
        evidence[name] = None if _blank(sent.get(name)) else parse_date(name, sent[name])
    claims.record(state, claim, "add_shipping_evidence", "respondent")
    claim.evidences.append(evidence)
    return evidence


def add_handling_evidence(state: SandboxState, claim: Claim, sent: dict[str, Any]) -> dict[str, Any]:
    """`POST …/evidences` with a `handling_shipping_evidence`: the day the seller will ship."""
    claims.seller_may(claim, "send_potential_shipping")
    if sent.get("type") != "handling_shipping_evidence":
        raise _refuse("type must be handling_shipping_evidence")
    if _blank(sent.get("handling_date")):
        raise _refuse("handling_date required")
    evidence: dict[str, Any] = {
        "type": "handling_shipping_evidence",
        "shipping_method": None,
        "receiver_id": None,
        "attachments": [],
        "handling_date": parse_date("handling_date", sent["handling_date"]),
        **dict.fromkeys(TEXTS),
        **dict.fromkeys(DATES),
    }
    claims.record(state, claim, "send_potential_shipping", "respondent")
    claim.evidences.append(evidence)
    return evidence


def evidence_view(claim: Claim, evidence: dict[str, Any]) -> dict[str, Any]:
    """One element of `GET …/evidences` (§9.8 sample keys, plus `handling_date` of the POST answers)."""

    def when(name: str) -> str | None:
        ts = evidence[name]
        return iso_marketplace(ts) if ts is not None else None

    return {
        "attachments": [file_meta(claim.evidence_files, name) for name in evidence["attachments"]],
        "type": evidence["type"],
        "date_shipped": when("date_shipped"),
        "date_delivered": when("date_delivered"),
        "destination_agency": evidence["destination_agency"],
        "receiver_email": evidence["receiver_email"],
        "receiver_id": evidence["receiver_id"],
        "receiver_name": evidence["receiver_name"],
        "shipping_company_name": evidence["shipping_company_name"],
        "shipping_method": evidence["shipping_method"],
        "tracking_number": evidence["tracking_number"],
        "handling_date": when("handling_date"),
    }
