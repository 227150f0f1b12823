"""One registry: which channels Mostrador has, which notification topics they handle, and which topics
it ignores on purpose.

Adding a channel means one module and one line in `CHANNELS`. Topics that are known but not used get
a quiet 200 (counted); anything else is logged as unsupported (Zulip's habit).
"""

from __future__ import annotations

from dataclasses import dataclass

from mostrador.channels.base import Channel
from mostrador.channels.claims import ClaimsChannel
from mostrador.channels.claims.recording import NAME as CLAIMS_CHANNEL
from mostrador.channels.messages import NAME as PACK_CHANNEL
from mostrador.channels.messages import MessagesChannel
from mostrador.channels.questions import NAME as QUESTIONS_CHANNEL_NAME
from mostrador.channels.questions import QuestionsChannel
from mostrador.meli import topics

# In the order the inbox shows their tabs.
CHANNELS: tuple[Channel, ...] = (QuestionsChannel(), MessagesChannel(), ClaimsChannel())

_BY_NAME: dict[str, Channel] = {c.name: c for c in CHANNELS}
PACK_CHANNEL_NAME: str = PACK_CHANNEL
"""The channel whose threads are a purchase's (pack's) post-sale conversation, keyed by the pack id."""
QUESTION_CHANNEL_NAME: str = QUESTIONS_CHANNEL_NAME
"""The channel of buyers' questions on listings (the demo's templates name it)."""
CLAIM_CHANNEL_NAME: str = CLAIMS_CHANNEL
"""The channel of claims and mediations (the REST API lists them at their own address)."""
_BY_TOPIC: dict[str, Channel] = {topic: c for c in CHANNELS for topic in c.topics}

TOPICS: tuple[str, ...] = tuple(_BY_TOPIC)
"""Every notification topic a channel handles: what intake records and missed feeds must give back."""

SUBSCRIBED_TOPICS: tuple[str, ...] = (*(c.topics[0] for c in CHANNELS), topics.ORDERS_V2)
"""The topics to enable in Mercado Libre's DevCenter: each channel's first (the claims channel's other is
an older name Mercado Libre may still announce the same resources on), and the sales' events that the
post-sale bot's order messages follow."""

# Known Mercado Libre topics (§4.2) that this product does not act on yet: acknowledged and counted.
IGNORED_TOPICS: frozenset[str] = frozenset(topics.ALL_TOPICS) - frozenset(_BY_TOPIC)


class UnknownChannel(LookupError):
    """No channel has that name."""


@dataclass(frozen=True)
class TopicRoute:
    """A channel as reached by one notification topic (claims come on two topics, §4.2)."""

    channel: Channel
    topic: str

    def workflow_key(self, resource_id: str) -> str:
        return self.channel.workflow_key(self.topic, resource_id)

    def partition_key(self, account_id: int, resource_id: str) -> str:
        return self.channel.partition_key(account_id, resource_id)


def channel_for(topic: str) -> TopicRoute | None:
    """The channel that handles a notification topic, or None for a topic we do not act on."""
    channel = _BY_TOPIC.get(topic)
    return TopicRoute(channel, topic) if channel is not None else None


def channel_named(name: str) -> Channel:
    """The channel of a conversation (its `channel` column)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownChannel(name) from None


def default_channel() -> Channel:
    """The first tab of the inbox."""
    return CHANNELS[0]
