"""One registry: which notification topics Mostrador handles, and which it ignores on purpose.

Adding a channel means one module and one line here. Topics that are known but not used get a quiet
200 (counted); anything else is logged as unsupported (Zulip's habit).
"""

from __future__ import annotations

from mostrador.channels.base import Channel
from mostrador.channels.claims import ClaimsChannel
from mostrador.channels.messages import MessagesChannel
from mostrador.channels.questions import QuestionsChannel
from mostrador.meli import topics

CHANNELS: dict[str, Channel] = {
    "questions": QuestionsChannel(),
    "messages": MessagesChannel(),
    "post_purchase": ClaimsChannel("post_purchase"),
    "claims": ClaimsChannel("claims"),  # the older stand-alone claims topic (§4.2), same claims
}

# Known Mercado Libre topics (§4.2) that this product does not act on yet: acknowledged and counted.
IGNORED_TOPICS: frozenset[str] = frozenset(topics.ALL_TOPICS) - frozenset(CHANNELS)


def channel_for(topic: str) -> Channel | None:
    return CHANNELS.get(topic)
