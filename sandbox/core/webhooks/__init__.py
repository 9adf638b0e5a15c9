"""Webhooks: which events a change produces (``triggers``), the outbox that queues them in the
change's transaction (``outbox``), delivery with signing and retries (``dispatch``,
``signing``, ``egress``) and the tenant-bound door dialects use (``part``: ``bank.outbox``)."""
