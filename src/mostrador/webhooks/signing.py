"""Standard Webhooks signing: `whsec_` secrets and the three headers every attempt carries.

The signature is the maintained `standardwebhooks` package's (HMAC-SHA256 over `id.timestamp.body`,
base64, `v1,` prefix); this module only makes secrets and assembles headers around it.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64 random bytes


def new_secret() -> str:
    """A fresh signing secret: `whsec_` + base64 of random bytes (shown to the admin once)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    """A `webhook-id`: unique per event, the same on every retry and for every endpoint."""
    return "msg_" + secrets.token_urlsafe(18)


def headers(secret: str, msg_id: str, at: datetime, body: str) -> dict[str, str]:
    """The headers of one attempt (the timestamp is the attempt's, as the specification says)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body),
        "content-type": "application/json",
        "user-agent": "Mostrador-Webhooks/1",
    }
