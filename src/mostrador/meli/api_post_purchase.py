"""Claims and mediations under ``/post-purchase`` (§9); the old ``/v1/claims`` is deprecated.

Every action here is a POST that is never retried after a 5xx or a read timeout (the requester's
``retry_unsafe`` stays False): a refund, a dispute or an evidence may have happened although the
answer was lost. The caller re-reads the claim (its ``available_actions``, expected resolutions
or evidences) before trying again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import httpx

from . import models
from .errors import InvalidAttachment, InvalidResponse
from .requester import ModelT, QueryValue, Requester, path_segment

__all__ = [
    "CLAIMS",
    "CLAIMS_V2",
    "CLAIM_FILE_MAX_BYTES",
    "CLAIM_FILE_TYPES",
    "PostPurchaseApi",
    "check_claim_file",
]

CLAIMS = "/post-purchase/v1/claims"
CLAIMS_V2 = "/post-purchase/v2/claims"  # returns live under v2 (§9.9)
_RECEIVER_ROLES = frozenset({"complainant", "respondent", "mediator"})
# Python keywords cannot contain dots; these spell the dotted filters of §9.2.
_DOTTED_FILTERS = {"players_role": "players.role", "players_user_id": "players.user_id"}

# Claim and evidence attachments: JPG, PNG or PDF up to 5 MB, name up to 125 characters of
# [a-zA-Z0-9_-.] (§9.6, §9.8). "5 MB" is read as 5,000,000 bytes: the stricter reading, so a file
# we let through is never refused for its size.
CLAIM_FILE_MAX_BYTES = 5_000_000
_FILE_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,125}", re.ASCII)
CLAIM_FILE_TYPES: dict[str, tuple[tuple[str, ...], bytes]] = {
    # content type: (extensions, leading bytes of such a file)
    "image/jpeg": ((".jpg", ".jpeg"), b"\xff\xd8\xff"),
    "image/png": ((".png",), b"\x89PNG\r\n\x1a\n"),
    "application/pdf": ((".pdf",), b"%PDF-"),
}


def check_claim_file(filename: str, data: bytes, content_type: str) -> str:
    """Refuse a file the claim API would refuse (§9.6); return the bare content type to send.

    Raises ``InvalidAttachment`` naming the broken rule: name, type, extension, content or size.
    """
    if not _FILE_NAME.fullmatch(filename) or filename in {".", ".."}:
        raise InvalidAttachment("name must be 1-125 characters of A-Z a-z 0-9 _ - .", filename=filename)
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in CLAIM_FILE_TYPES:
        raise InvalidAttachment(f"type {content_type!r} is not JPG, PNG or PDF", filename=filename)
    extensions, magic = CLAIM_FILE_TYPES[kind]
    if not filename.lower().endswith(extensions):
        raise InvalidAttachment(f"name must end in {' or '.join(extensions)} for {kind}", filename=filename)
    if not data.startswith(magic):
        raise InvalidAttachment(f"content is not {kind}", filename=filename)
    if len(data) > CLAIM_FILE_MAX_BYTES:
        raise InvalidAttachment(f"{len(data)} bytes is over the 5 MB limit", filename=filename)
    return kind


class PostPurchaseApi(Requester):
    """Read claims with their detail, history, resolutions, evidences and returns; act on them."""

    # -- reads ---------------------------------------------------------------------------------

    async def get_claim(self, claim_id: int | str, token: str) -> models.Claim:
        """One claim (§9.1)."""
        return await self.get_model(models.Claim, _claim(claim_id), token=token)

    async def get_claim_detail(self, claim_id: int | str, token: str) -> models.ClaimDetail:
        """The claim's headline, problem, next deadline and who must act (§9.1 ``/detail``)."""
        return await self.get_model(models.ClaimDetail, _claim(claim_id, "detail"), token=token)

    async def search_claims(self, token: str, **filters: QueryValue) -> models.ClaimSearch:
        """Search claims (§9.2), e.g. ``players_role="respondent", players_user_id=…, status="opened"``.

        At least one real filter is required by the API; ``offset + limit`` must stay below 10000.
        """
        params = {_DOTTED_FILTERS.get(key, key): value for key, value in filters.items()}
        return await self.get_model(models.ClaimSearch, f"{CLAIMS}/search", token=token, params=params)

    async def get_claim_messages(self, claim_id: int | str, token: str) -> list[models.ClaimMessage]:
        """The claim's messages; moderated counterpart messages are filtered out by the API (§9.6)."""
        return await self._get_list(models.ClaimMessage, _claim(claim_id, "messages"), token)

    async def get_claim_actions_history(
        self, claim_id: int | str, token: str
    ) -> list[models.ClaimActionEntry]:
        """Every action taken on the claim, in the order sent (newest first in the samples, §9.5)."""
        return await self._get_list(models.ClaimActionEntry, _claim(claim_id, "actions-history"), token)

    async def get_claim_status_history(
        self, claim_id: int | str, token: str
    ) -> list[models.ClaimStatusEntry]:
        """Every stage/status change of the claim and who caused it (§9.5)."""
        return await self._get_list(models.ClaimStatusEntry, _claim(claim_id, "status-history"), token)

    async def get_expected_resolutions(
        self, claim_id: int | str, token: str
    ) -> list[models.ExpectedResolution]:
        """What each player asked for and whether the other side accepted it (§9.7)."""
        path = _claim(claim_id, "expected-resolutions")
        return await self._get_list(models.ExpectedResolution, path, token)

    async def get_partial_refund_offers(self, claim_id: int | str, token: str) -> models.PartialRefundOffers:
        """The percentages the seller may offer, with the API's recommendations (§9.7).

        422 (``Unprocessable``) when the claim does not qualify, e.g. cross-border or no return label.
        """
        path = _claim(claim_id, "partial-refund", "available-offers")
        return await self.get_model(models.PartialRefundOffers, path, token=token)

    async def get_claim_evidences(self, claim_id: int | str, token: str) -> list[models.ClaimEvidence]:
        """Evidence already on the claim: shipping proofs and promised shipping dates (§9.8)."""
        return await self._get_list(models.ClaimEvidence, _claim(claim_id, "evidences"), token)

    async def get_claim_returns(self, claim_id: int | str, token: str) -> models.ClaimReturn:
        """The return of a claim whose ``related_entities`` holds ``return`` (§9.9, v2 path)."""
        path = f"{CLAIMS_V2}/{path_segment(claim_id)}/returns"
        return await self.get_model(models.ClaimReturn, path, token=token)

    async def get_claim_reputation(self, claim_id: int | str, token: str) -> models.ClaimReputation:
        """Whether the claim affects the seller's reputation (§9.3)."""
        return await self.get_model(
            models.ClaimReputation, _claim(claim_id, "affects-reputation"), token=token
        )

    async def get_claim_reason(self, reason_id: str, token: str) -> models.ClaimReason:
        """What a ``reason_id`` such as ``PDD9939`` means (§9.4)."""
        path = f"{CLAIMS}/reasons/{path_segment(reason_id)}"
        return await self.get_model(models.ClaimReason, path, token=token)

    # -- actions (POST, never retried blindly) ----------------------------------------------------

    async def send_claim_message(
        self,
        claim_id: int | str,
        receiver_role: str,
        message: str,
        token: str,
        attachments: Sequence[str] | None = None,
    ) -> None:
        """Write in the claim (201, no useful body, §9.6); once in dispute only to ``mediator``.

        ``attachments`` are file names from ``upload_claim_attachment``. Not retried after a 5xx:
        the caller re-reads the claim messages first.
        """
        if receiver_role not in _RECEIVER_ROLES:
            raise ValueError(f"receiver_role must be one of {sorted(_RECEIVER_ROLES)}, not {receiver_role!r}")
        body: dict[str, Any] = {"receiver_role": receiver_role, "message": message}
        names = _file_names(attachments)
        if names:
            body["attachments"] = names  # omit when none (§9.6)
        await self.request("POST", _claim(claim_id, "actions", "send-message"), token=token, json=body)

    async def upload_claim_attachment(
        self, claim_id: int | str, filename: str, data: bytes, content_type: str, token: str
    ) -> str:
        """Upload a file for a claim message; returns the name to pass in ``attachments`` (§9.6).

        Raises ``InvalidAttachment`` before any request for a file the API would refuse.
        """
        return await self._upload(_claim(claim_id, "attachments"), filename, data, content_type, token)

    async def download_claim_attachment(self, claim_id: int | str, filename: str, token: str) -> bytes:
        """The bytes of a claim message's file (``…/attachments/{filename}/download``, §9.6)."""
        path = _claim(claim_id, "attachments", path_segment(filename), "download")
        response = await self.request("GET", path, token=token)
        return response.content

    async def upload_evidence_attachment(
        self, claim_id: int | str, filename: str, data: bytes, content_type: str, token: str
    ) -> str:
        """Upload a file for a shipping evidence (``…/attachments-evidences``, §9.8); returns its name."""
        path = _claim(claim_id, "attachments-evidences")
        return await self._upload(path, filename, data, content_type, token)

    async def open_claim_dispute(self, claim_id: int | str, token: str) -> models.Claim:
        """Ask Mercado Libre to mediate; returns the claim in ``stage: dispute`` (§9.7).

        From then on the seller writes only to ``mediator`` and cannot send evidence.
        """
        response = await self.request("POST", _claim(claim_id, "actions", "open-dispute"), token=token)
        return self.parse(models.Claim, self.json_body(response))

    async def refund_claim(self, claim_id: int | str, token: str) -> list[models.ExpectedResolution]:
        """Refund the buyer in full; the claim closes (§9.7). Needs the ``refund`` action.

        Returns the expected resolutions as answered (empty if the answer has no body).
        """
        path = _claim(claim_id, "expected-resolutions", "refund")
        return self._resolutions(await self.request("POST", path, token=token))

    async def allow_claim_return(self, claim_id: int | str, token: str) -> list[models.ExpectedResolution]:
        """Accept the return: a return label is generated and the money goes back when the
        return ships or arrives (§9.7). Needs the ``allow_return`` action."""
        path = _claim(claim_id, "expected-resolutions", "allow-return")
        return self._resolutions(await self.request("POST", path, token=token))

    async def offer_partial_refund(
        self, claim_id: int | str, percentage: float, token: str
    ) -> list[models.ExpectedResolution]:
        """Offer back ``percentage`` of the price instead of a return (§9.7); the buyer accepts or not.

        Only a percentage listed by ``get_partial_refund_offers`` is accepted by the API, and never
        100 (that is ``refund_claim``); a value outside (0, 100) is refused here.
        """
        if isinstance(percentage, bool) or not 0 < percentage < 100:
            raise ValueError(f"percentage must be above 0 and below 100, not {percentage!r}")
        path = _claim(claim_id, "expected-resolutions", "partial-refund")
        response = await self.request("POST", path, token=token, json={"percentage": percentage})
        return self._resolutions(response)

    async def send_shipping_evidence(
        self, claim_id: int | str, evidence: models.ShippingEvidence, token: str
    ) -> list[models.ClaimEvidence]:
        """Record how the product was shipped outside Mercado Envíos (§9.8); returns the evidences.

        ``ShippingEvidence`` checks the fields its method needs when it is built.
        """
        path = _claim(claim_id, "actions", "evidences")
        return self._evidences(await self.request("POST", path, token=token, json=evidence.body()))

    async def send_handling_evidence(
        self, claim_id: int | str, handling_date: date, token: str
    ) -> list[models.ClaimEvidence]:
        """Promise a shipping date for a product not shipped yet (§9.8, ``handling_shipping_evidence``)."""
        if isinstance(handling_date, datetime) or not isinstance(handling_date, date):
            raise ValueError(f"handling_date must be a date, not {handling_date!r}")
        body = {"type": "handling_shipping_evidence", "handling_date": handling_date.isoformat()}
        return self._evidences(
            await self.request("POST", _claim(claim_id, "evidences"), token=token, json=body)
        )

    # -- helpers ---------------------------------------------------------------------------------

    async def _get_list(self, model: type[ModelT], path: str, token: str) -> list[ModelT]:
        response = await self.request("GET", path, token=token)
        return self._parse_list(model, self.json_body(response), path)

    def _parse_list(self, model: type[ModelT], payload: Any, what: str) -> list[ModelT]:
        if not isinstance(payload, list):
            raise InvalidResponse(f"{what}: answer is not a list", body=payload)
        return [self.parse(model, entry) for entry in payload]

    def _resolutions(self, response: httpx.Response) -> list[models.ExpectedResolution]:
        if not response.content.strip():
            return []
        return self._parse_list(models.ExpectedResolution, self.json_body(response), "expected resolutions")

    def _evidences(self, response: httpx.Response) -> list[models.ClaimEvidence]:
        if not response.content.strip():
            return []
        payload = self.json_body(response)
        # The shipping evidence answer is a list; the handling one a single object (§9.8 samples).
        return self._parse_list(
            models.ClaimEvidence, [payload] if isinstance(payload, dict) else payload, "evidences"
        )

    async def _upload(self, path: str, filename: str, data: bytes, content_type: str, token: str) -> str:
        kind = check_claim_file(filename, data, content_type)
        response = await self.request("POST", path, token=token, files={"file": (filename, data, kind)})
        return self.parse(models.ClaimAttachmentUpload, self.json_body(response)).filename


def _claim(claim_id: int | str, *tail: str) -> str:
    return "/".join((CLAIMS, path_segment(claim_id), *tail))


def _file_names(attachments: Sequence[str] | None) -> list[str]:
    if isinstance(attachments, str):
        # A bare string is a Sequence[str] too; list("a.jpg") would send five one-letter names.
        raise TypeError("attachments must be a list of file names, not one string")
    return list(attachments or [])
