"""Faults: rule specs (``spec``), stored rules and the per-call decision (``rules``),
institution health (``health``), rate limits (``ratelimits``) and the tenant-bound door
dialects use (``part``: ``bank.faults``)."""
