"""SQLAlchemy models and session helpers (SQLite by default, PostgreSQL supported)."""

from client.store.db import Store

__all__ = ["Store"]
