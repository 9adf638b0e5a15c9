"""Flask extensions, created unbound and attached in ``create_app`` with ``init_app``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .core.bank import Bank
from .core.models import Base, Tenant

# The models are plain SQLAlchemy (``core`` has no Flask imports); share their metadata.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()


def current_session() -> Session:
    """The request's (or app context's) SQLAlchemy session, typed for the core."""
    return db.session()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: enforce foreign keys (reset cascades) and let readers and a writer overlap."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def tenant_bank(tenant: Tenant) -> Bank:
    """The bank of ``tenant`` on the request's session, with the app's settings applied."""
    delay = dt.timedelta(seconds=current_app.config["HISTORICAL_DELAY_SECONDS"])
    return Bank(current_session(), tenant, historical_delay=delay)
