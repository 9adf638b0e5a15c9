"""Unit-tier fixtures: a plain SQLAlchemy session and a tenant's ``Bank``, no Flask."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import sandbox.plaid  # noqa: F401  (the Plaid dialect installs the outbox's webhook renderer)
from sandbox.core import tenants
from sandbox.core.bank import Bank
from sandbox.core.models import Base
from tests.conftest import FROZEN_NOW


@pytest.fixture
def session() -> Iterator[Session]:
    """An in-memory SQLite database with the sandbox schema."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as db_session:
        yield db_session
    engine.dispose()


@pytest.fixture
def bank(session: Session) -> Bank:
    """A fresh tenant (seed 7) whose clock is frozen at ``FROZEN_NOW``."""
    tenant, _ = tenants.create(session, "unit", 7)
    tenant.clock_frozen_at = FROZEN_NOW
    return Bank(session, tenant)


def link(
    bank: Bank,
    institution_id: str = "ins_109508",
    username: str = "user_good",
    password: str = "pass_good",
    days: int = 90,
) -> str:
    """Create an item through the sandbox shortcut and return its access token."""
    public = bank.sandbox_public_token(
        institution_id, ["transactions"], username=username, password=password, days_requested=days
    )
    return bank.exchange_public_token(public)[0]
