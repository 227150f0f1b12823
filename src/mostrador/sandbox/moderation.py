"""Message moderation (§8.1, §8.6, §10): contact data, links and link shorteners are refused."""

from __future__ import annotations

import re

# §8.6: shortened-link services that trigger moderation.
SHORTENERS = (
    "bit.ly",
    "bitly.com",
    "bl.ink",
    "polr.me",
    "rebrand.ly",
    "t2m.io",
    "tinyurl.com",
    "zpr.io",
    "yourls.org",
)
SOCIAL_NETWORKS = (
    "facebook.com",
    "fb.me",
    "instagram.com",
    "wa.me",
    "whatsapp.com",
    "twitter.com",
    "x.com",
    "tiktok.com",
    "t.me",
    "telegram.me",
    "linkedin.com",
)

_URL = re.compile(
    r"(?i)\b((?:https?://|www\.)\S+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|ly|me|ar|br|mx|co|cl|uy|pe)(?:/\S*)?)"
)
_EMAIL = re.compile(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b")
# Seven or more digits, optionally split by spaces, dots or dashes: phone numbers in any site's format.
_PHONE = re.compile(r"(?<!\d)(?:\+?\d[\s.\-()]*){7,}(?!\d)")


def moderation_reason(text: str) -> str | None:
    """The documented reason a text would be moderated, or None when it is clean.

    §8.1 lists LINK_SHORT_URL, SOCIAL_NETWORK_LINK and OUT_OF_PLACE_LANGUAGE; e-mails, phone numbers and
    other links (contact data, §10 seller policy) are reported as OUT_OF_PLACE_LANGUAGE.
    """
    lowered = text.lower()
    if any(host in lowered for host in SHORTENERS):
        return "LINK_SHORT_URL"
    if any(host in lowered for host in SOCIAL_NETWORKS):
        return "SOCIAL_NETWORK_LINK"
    if _EMAIL.search(text) or _URL.search(text) or _PHONE.search(text):
        return "OUT_OF_PLACE_LANGUAGE"
    return None
