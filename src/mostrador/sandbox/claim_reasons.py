"""Claim reasons (§9.4): the catalogue of reason ids the sandbox knows and their documented shape."""

from __future__ import annotations

import re
from typing import Any

from mostrador.sandbox.errors import SandboxError

REASONS: dict[str, dict[str, Any]] = {
    "PDD9939": {
        "name": "repentant_buyer",
        "detail": "Llegó lo que compré en buenas condiciones pero no lo quiero",
        "flow": "post_purchase_delivered",
        "expected": ["change_product", "return_product"],
        "triage": ["repentant"],
    },
    "PDD9944": {
        "name": "defective_item",
        "detail": "Llegó dañado o no funciona",
        "flow": "post_purchase_delivered",
        "expected": ["return_product", "change_product"],
        "triage": ["defective"],
    },
    "PDD9943": {
        "name": "not_original",
        "detail": "No es original",
        "flow": "post_purchase_delivered",
        "expected": ["return_product"],
        "triage": ["different"],
    },
    "PDD9946": {
        "name": "other_problem",
        "detail": "Tuve otro problema con el producto",
        "flow": "post_purchase_delivered",
        "expected": ["return_product"],
        "triage": ["different"],
    },
    "PNR9501": {
        "name": "not_received",
        "detail": "No llegó el producto",
        "flow": "post_purchase_undelivered",
        "expected": ["product", "refund"],
        "triage": [],
    },
}


# §9.1: PNR = product not received, PDD = product different or defective, CS = cancelled purchase.
_GENERIC = {
    "PNR": {
        "name": "not_received",
        "detail": "No llegó el producto",
        "flow": "post_purchase_undelivered",
        "expected": ["product", "refund"],
        "triage": [],
    },
    "PDD": {
        "name": "different_or_defective",
        "detail": "El producto es distinto o tiene fallas",
        "flow": "post_purchase_delivered",
        "expected": ["return_product"],
        "triage": ["defective"],
    },
    "CS": {
        "name": "cancelled_purchase",
        "detail": "Cancelé la compra",
        "flow": "cancel_purchase",
        "expected": ["refund"],
        "triage": [],
    },
}
_REASON_ID = re.compile(r"(PNR|PDD|CS)\d+")


def reason_for(reason_id: str) -> dict[str, Any] | None:
    """The known reason, else a generic one for a well-formed id (real ids vary by site), else None."""
    match = _REASON_ID.fullmatch(reason_id)
    if match is None:
        return None
    return REASONS.get(reason_id, _GENERIC[match.group(1)])


def reason_view(reason_id: str) -> dict[str, Any]:
    reason = reason_for(reason_id)
    if reason is None:
        raise SandboxError("Resource not found", error="business_logic_error", status=404)
    return {
        "id": reason_id,
        "flow": reason["flow"],
        "name": reason["name"],
        "detail": reason["detail"],
        "position": 10,
        "filter": {"group": ["generic"], "site_id": ["MLA", "MLB", "MLM", "MLC", "MCO", "MLU", "MPE"]},
        "settings": {
            "allowed_flows": ["returns"] if reason_id.startswith("PDD") else ["mediations"],
            "expected_resolutions": reason["expected"],
            "rules_engine_triage": reason["triage"],
        },
        "parent_id": None,
        "children_title": None,
        "status": "active",
        "date_created": "2024-01-15T18:07:42.632-04:00",
        "last_updated": "2024-03-12T20:20:21.795-04:00",
    }
