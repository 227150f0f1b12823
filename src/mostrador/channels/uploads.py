"""Uploading the files of an outgoing message right before it is posted (§8.4, §9.6).

Mercado Libre takes a message's files as uploads first, then the message names them. An upload is
remembered (`remote_name`), so a send retried after an outage does not upload again; an upload older
than `FRESH_FOR` is done again, because Mercado Libre deletes files no message used within 48 hours
(§8.4) and a message naming a deleted file is refused. An upload whose answer was lost leaves an unused
file at Mercado Libre, which it deletes on its own; the message itself is still posted once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from mostrador.accounts.seller_api import SellerApi
from mostrador.channels.base import REFUSALS, PostRefused
from mostrador.conversations.outgoing import Outgoing
from mostrador.meli import errors as meli_errors
from mostrador.store import outbox as outbox_store
from mostrador.store.db import transaction
from mostrador.store.models import utcnow

FRESH_FOR = timedelta(hours=24)
# upload(name, bytes, content type) -> the name Mercado Libre gives the file
Upload = Callable[[str, bytes, str], Awaitable[str]]


@dataclass(frozen=True)
class _Pending:
    id: int
    name: str
    content_type: str
    data: bytes | None
    remote_name: str | None


async def uploaded_names(api: SellerApi, reply: Outgoing, upload: Upload) -> list[str]:
    """The Mercado Libre names of the reply's files, uploading those not uploaded recently; `PostRefused`
    when Mercado Libre refuses a file for good."""
    files = await asyncio.to_thread(_pending, api, reply.id)
    names = []
    for f in files:
        if f.remote_name is not None:
            names.append(f.remote_name)
            continue
        if f.data is None:
            raise PostRefused("rejected", f"the file {f.name} is no longer kept")
        try:
            remote = await upload(f.name, f.data, f.content_type)
        except meli_errors.InvalidAttachment as exc:
            raise PostRefused("rejected", str(exc)) from exc
        except REFUSALS as exc:
            raise PostRefused("rejected", f"the file {f.name} was refused: {exc}") from exc
        await asyncio.to_thread(_note, api, f.id, remote)
        names.append(remote)
    return names


def _pending(api: SellerApi, entry_id: int) -> list[_Pending]:
    fresh_since = utcnow() - FRESH_FOR
    with transaction(api.ctx.sessions) as s:
        return [
            _Pending(
                f.id,
                f.name,
                f.content_type,
                f.data,
                f.remote_name if f.uploaded_at is not None and f.uploaded_at > fresh_since else None,
            )
            for f in outbox_store.files_of(s, entry_id)
        ]


def _note(api: SellerApi, file_id: int, remote_name: str) -> None:
    with transaction(api.ctx.sessions) as s:
        outbox_store.note_upload(s, file_id, remote_name, utcnow())
