"""The sync engine: link, cursor loop, atomic page commits, dedup, history."""

from client.sync.engine import SyncEngine, SyncResult

__all__ = ["SyncEngine", "SyncResult"]
