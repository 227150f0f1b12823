"""Claims and mediations (§9): one conversation per claim, its facts, its messages and its actions.

Mercado Libre announces claims on the `post_purchase` topic (`actions: claims | claims_actions`, with a
`/post-purchase/v1/claims/{id}` resource) and, on older pages, on a stand-alone `claims` topic with
`/v1/claims/{id}` (§4.2); both point at the same claim, read from `/post-purchase` (the old path is
deprecated, §9). Ingest re-reads the claim and what an agent acts on (`reading`), records it as the
conversation's state and as a queryable record (`recording`), and lets the seller's rules give a first
response by claim type (`first_response`). Replies are messages in the claim — to the buyer while the
claim is between the two, to the mediator once it is in dispute (§9.6) — and actions (`actions`:
refund, return, partial refund, shipping evidence, dispute), all through the outbox. The POST of a
message answers 201 with no body, so the message is linked to its `hash` when the next read meets it.
"""

from mostrador.channels.claims.channel import ClaimsChannel
from mostrador.channels.claims.recording import STATE_KEY, due_date, message_key, receiver_role

__all__ = ["STATE_KEY", "ClaimsChannel", "due_date", "message_key", "receiver_role"]
