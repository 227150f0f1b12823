"""Post-sale messaging (§8): every call carries ``tag=post_sale``, mandatory since 2022."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from . import models
from .errors import InvalidResponse, NotFound
from .requester import QueryValue, Requester, path_segment

__all__ = [
    "MESSAGE_FILES_MAX",
    "MESSAGE_FILE_MAX_BYTES",
    "MESSAGE_FILE_TYPES",
    "POST_SALE",
    "MessagingApi",
]

POST_SALE: Mapping[str, str] = {"tag": "post_sale"}
_SITE_ID = re.compile(r"[A-Z]{3}", re.ASCII)
_ROLES = frozenset({"seller", "buyer"})
# Message attachments (§8.4): JPG, PNG, PDF or TXT up to 25 MB, at most 25 per message. "25 MB" is read
# as 25,000,000 bytes, the stricter reading.
MESSAGE_FILE_MAX_BYTES = 25_000_000
MESSAGE_FILES_MAX = 25
MESSAGE_FILE_TYPES: dict[str, tuple[tuple[str, ...], bytes]] = {
    # content type: (extensions, leading bytes of such a file; none for text)
    "image/jpeg": ((".jpg", ".jpeg"), b"\xff\xd8\xff"),
    "image/png": ((".png",), b"\x89PNG\r\n\x1a\n"),
    "application/pdf": ((".pdf",), b"%PDF-"),
    "text/plain": ((".txt",), b""),
}


def _site(site_id: str) -> str:
    if not _SITE_ID.fullmatch(site_id):
        raise ValueError(f"not a Mercado Libre site id: {site_id!r}")
    return site_id


def _post_sale(**params: QueryValue) -> dict[str, QueryValue]:
    return {**POST_SALE, **params}


class MessagingApi(Requester):
    """Threads per pack, single messages, sending, attachments and unread counters."""

    async def get_pack_messages(
        self,
        pack_id: int | str,
        seller_id: int | str,
        token: str,
        mark_as_read: bool = False,
        offset: int = 0,
        limit: int = 10,
    ) -> models.PackMessages:
        """One page of a conversation; the API marks it read unless told not to (§8.1).

        ``pack_id`` is the order id when the order has no pack (§8).
        """
        path = f"/messages/packs/{path_segment(pack_id)}/sellers/{path_segment(seller_id)}"
        params = _post_sale(mark_as_read=mark_as_read, offset=offset, limit=limit)
        return await self.get_model(models.PackMessages, path, token=token, params=params)

    async def get_message(self, message_id: str, token: str, *, mark_as_read: bool = False) -> models.Message:
        """One message, e.g. from a ``messages`` notification (§8.2), unwrapped from ``messages[]``."""
        path = f"/messages/{path_segment(message_id)}"
        response = await self.request("GET", path, token=token, params=_post_sale(mark_as_read=mark_as_read))
        return self._single_message(self.json_body(response), message_id)

    def _single_message(self, payload: Any, message_id: str) -> models.Message:
        # Captured answers wrap it as {"paging": null, "conversation_status": null, "messages": [...]};
        # older ones return the bare object (§8.2).
        if isinstance(payload, dict) and "messages" in payload:
            messages = payload.get("messages") or []
            if not isinstance(messages, list):
                raise InvalidResponse("'messages' is not a list", body=payload)
            if not messages:
                raise NotFound(f"message {message_id} not in the answer", status=200, body=payload)
            return self.parse(models.Message, messages[0])
        return self.parse(models.Message, payload)

    async def send_message(
        self,
        pack_id: int | str,
        seller_id: int | str,
        to_user_id: int | str,
        text: str,
        token: str,
        attachments: Sequence[str] | None = None,
    ) -> models.Message:
        """Send one message in a thread (§8.3); returns the created message.

        ``to_user_id`` is the buyer, or the site's messaging agent on migrated MLB/MLC threads (§8).
        Never retried after a 5xx or a read timeout: the message may have gone out. The caller
        re-reads the thread before trying again.
        """
        path = f"/messages/packs/{path_segment(pack_id)}/sellers/{path_segment(seller_id)}"
        body: dict[str, Any] = {
            "from": {"user_id": str(seller_id)},
            "to": {"user_id": str(to_user_id)},
            "text": text,
        }
        if attachments:
            body["attachments"] = list(attachments)  # an empty list invites a 400 (§8.3)
        response = await self.request("POST", path, token=token, params=_post_sale(), json=body)
        return self._single_message(self.json_body(response), "(new)")

    async def upload_attachment(
        self, filename: str, content: bytes, content_type: str, token: str, site_id: str
    ) -> str:
        """Upload a file for a later message; unused uploads are purged after 48 h (§8.4)."""
        response = await self.request(
            "POST",
            "/messages/attachments",
            token=token,
            params=_post_sale(site_id=_site(site_id)),
            files={"file": (filename, content, content_type)},
        )
        return self.parse(models.AttachmentUpload, self.json_body(response)).id

    async def download_attachment(self, attachment_id: str, token: str, site_id: str) -> bytes:
        """The bytes of a message attachment (§8.4)."""
        path = f"/messages/attachments/{path_segment(attachment_id)}"
        response = await self.request("GET", path, token=token, params=_post_sale(site_id=_site(site_id)))
        return response.content

    # ---- seller-initiated contact (§8.7) ------------------------------------------------------------
    async def get_action_guide(self, pack_id: int | str, token: str) -> models.ActionGuide:
        """The reasons the seller may write for on a sale the buyer has not written about yet."""
        path = f"/messages/action_guide/packs/{path_segment(pack_id)}"
        return await self.get_model(models.ActionGuide, path, token=token, params=_post_sale())

    async def get_action_guide_caps(self, pack_id: int | str, token: str) -> list[models.GuideCap]:
        """Sends left per option; 0 means the seller waits for the buyer (§8.7)."""
        path = f"/messages/action_guide/packs/{path_segment(pack_id)}/caps_available"
        payload = self.json_body(await self.request("GET", path, token=token, params=_post_sale()))
        if not isinstance(payload, list):
            raise InvalidResponse("caps_available is not a list", body=payload)
        return [self.parse(models.GuideCap, entry) for entry in payload]

    async def send_action_guide_option(
        self,
        pack_id: int | str,
        option_id: str,
        token: str,
        *,
        template_id: str | None = None,
        text: str | None = None,
    ) -> models.ActionGuideMessage:
        """Open the conversation with one option: a template or (``OTHER``, ``SEND_INVOICE_LINK``) a text.

        Never retried after a 5xx or a read timeout, like ``send_message``: the caller re-reads the thread.
        """
        if (template_id is None) == (text is None):
            raise ValueError("an option is sent with either a template_id or a text")
        body: dict[str, Any] = {"option_id": option_id}
        if template_id is not None:
            body["template_id"] = template_id
        else:
            body["text"] = text
        path = f"/messages/action_guide/packs/{path_segment(pack_id)}/option"
        response = await self.request("POST", path, token=token, params=_post_sale(), json=body)
        return self.parse(models.ActionGuideMessage, self.json_body(response))

    async def get_unread(self, token: str, role: str = "seller") -> models.Unread:
        """Threads with unread messages, up to 500 (§8.5); a safety net behind notifications."""
        if role not in _ROLES:
            raise ValueError(f"role must be 'seller' or 'buyer', not {role!r}")
        return await self.get_model(
            models.Unread, "/messages/unread", token=token, params=_post_sale(role=role)
        )
