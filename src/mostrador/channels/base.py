"""What every channel offers the workflows: ingest a resource, then send the reply it planned."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mostrador.context import AppContext


@dataclass(frozen=True)
class Plan:
    """What ingest decided; JSON-serialisable because DBOS records it as a step result."""

    outcome: str  # recorded | handed_off | drafted | reply_pending | skipped
    reply_id: int | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Channel(Protocol):
    topic: str
    name: str

    def workflow_key(self, resource_id: str) -> str:
        """Idempotency key of the work for one resource, e.g. `question:123`."""
        ...

    def partition_key(self, account_id: int, resource_id: str) -> str:
        """Work with the same key never overlaps (per-conversation order)."""
        ...

    async def ingest(self, ctx: AppContext, account_id: int, resource_id: str) -> Plan:
        """Fetch the resource with the seller's token, record it, decide; never posts."""
        ...

    async def send(self, ctx: AppContext, reply_id: int) -> str:
        """Post a recorded reply at most once; safe to repeat after a crash."""
        ...
