"""Process-wide logging: plain text or one JSON object per line, each carrying the request id and the
DBOS workflow id of the code that wrote it.

The request id comes from `RequestId` (web) through a context variable; the workflow id from a
provider the caller passes in (DBOS's own context, `DBOS.workflow_id`), so this module imports no
framework.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# An incoming X-Request-ID is echoed only when it is short and plain: it lands in every log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
# DBOS and uvicorn write through these loggers; they get the same handler as everything else.
FRAMEWORK_LOGGERS = ("dbos", "uvicorn", "uvicorn.error", "uvicorn.access")
HANDLER_NAME = "mostrador"
# Attributes every LogRecord has: anything else on a record came from `extra=` and is written out.
# (uvicorn adds `color_message`, the same text with terminal colours.)
_STANDARD = set(logging.LogRecord("x", 0, "x", 0, "x", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}


def request_id_from(header: str | None) -> str:
    """The incoming id when it is usable, else a fresh one (32 hex digits)."""
    if header and _REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Puts `request_id` and `workflow_id` on every record (None outside a request or a workflow)."""

    def __init__(self, workflow_id: Callable[[], str | None] | None = None) -> None:
        super().__init__()
        self.workflow_id = workflow_id

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "workflow_id"):
            record.workflow_id = _safe(self.workflow_id)
        return True


def _safe(provider: Callable[[], str | None] | None) -> str | None:
    if provider is None:
        return None
    try:
        return provider()
    except Exception:  # a logging call must never fail because a framework's context is torn down
        return None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id, workflow_id, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "workflow_id": getattr(record, "workflow_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in out:
                out[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s wf=%(workflow_id)s] %(message)s"


def configure_logging(
    level: str,
    fmt: Literal["text", "json"],
    *,
    workflow_id: Callable[[], str | None] | None = None,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Route every log line of the process (ours, DBOS's, uvicorn's) to one handler on `stream`
    (stderr). Idempotent: a second call replaces the first handler. Returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.name = HANDLER_NAME
    handler.addFilter(ContextFilter(workflow_id))
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in FRAMEWORK_LOGGERS:
        framework = logging.getLogger(name)
        # DBOS adds its own console handler only to a logger without one, and stops propagation;
        # uvicorn's dictConfig (unless `log_config=None`) does the same: let both reach ours.
        for old in list(framework.handlers):
            framework.removeHandler(old)
        framework.propagate = True
    logging.getLogger("dbos").addHandler(logging.NullHandler())  # keeps DBOS from adding its own
    return handler
