"""Files attached to claims (§9.6) and to evidences (§9.8): upload rules, storage and metadata."""

from __future__ import annotations

import re
from typing import Any

from mostrador.sandbox.clock import iso_marketplace
from mostrador.sandbox.errors import SandboxError
from mostrador.sandbox.records import Attachment
from mostrador.sandbox.state import SandboxState

# §9.6/§9.8: claim and evidence files are JPG/PNG/PDF up to 5 MB, named with up to 125 characters of
# [a-zA-Z0-9_\-.].
FILE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
FILE_MAX_BYTES = 5 * 1024 * 1024
_FILE_NAME = re.compile(r"[a-zA-Z0-9_\-.]{1,125}")


def store_file(
    state: SandboxState, files: dict[str, Attachment], owner_id: int, original: str, data: bytes
) -> str:
    """Keep an uploaded claim or evidence file; returns the name the API gives it."""
    extension = original.rsplit(".", 1)[-1].lower() if "." in original else ""
    if extension not in FILE_TYPES or not _FILE_NAME.fullmatch(original) or not data:
        raise SandboxError(
            "invalid file: JPG, PNG or PDF named with [a-zA-Z0-9_-.] up to 125 chars",
            error="bad_request_error",
            status=400,
        )
    if len(data) > FILE_MAX_BYTES:
        raise SandboxError("invalid file: larger than 5 MB", error="bad_request_error", status=400)
    filename = f"{state.ids.notification_id()}_{owner_id}.{extension}"
    files[filename] = Attachment(
        id=filename,
        owner_id=owner_id,
        original_filename=original,
        content_type=FILE_TYPES[extension],
        data=data,
        created_ts=state.now(),
    )
    return filename


def file_meta(files: dict[str, Attachment], filename: str) -> dict[str, Any]:
    """`GET …/attachments/{name}` and `…/attachments-evidences/{name}` (§9.6, §9.8)."""
    attachment = files[filename]
    return {
        "filename": filename,
        "original_filename": attachment.original_filename,
        "size": len(attachment.data),
        "date_created": iso_marketplace(attachment.created_ts),
        "type": attachment.content_type,
    }
