"""Outgoing webhooks: endpoints a workspace's admins manage, events derived from the `events` feed,
deliveries signed per the Standard Webhooks specification and retried with back-off (docs/webhooks.md).

`endpoints` is the service the web pages (and the REST API) call; `derive` turns the feed into events
owed; `sender` makes one signed attempt; `addresses` refuses non-public destinations; `signing` holds
the secret format and the headers. The durable side lives in `workflows/webhooks.py`.
"""
