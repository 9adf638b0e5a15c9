"""The sync engine: any provider's change log into the store, atomic page commits, dedup."""

from client.sync.engine import SyncEngine, Syncer, SyncResult

__all__ = ["SyncEngine", "SyncResult", "Syncer"]
