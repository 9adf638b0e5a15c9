"""webhooks_held_on_the_tenant_clock: a held-back webhook waits for an instant of its tenant's clock

``webhook_events.held_until`` is the tenant-clock instant a held-back event (``HISTORICAL_UPDATE``
after the historical delay, an Asset report's ``PRODUCT_READY``) waits for. Events still held
back when this runs (never tried, due later) get the instant their tenant's clock will show
when they come due, so they keep following that clock. A plain column addition, in place on
SQLite (a rebuilt ``webhook_events`` would cascade-delete the attempt log).

Revision ID: c3e8a1f5d702
Revises: 4797b99cb507
Create Date: 2026-11-27 17:30:00

"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

import sandbox.core.models

revision = "c3e8a1f5d702"
down_revision = "4797b99cb507"
branch_labels = None
depends_on = None

INSTANT = sandbox.core.models.UTCDateTime(timezone=True)
NEVER = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)  # models.NEVER when this was written


def upgrade() -> None:
    op.add_column("webhook_events", sa.Column("held_until", INSTANT, nullable=True))
    _hold_on_the_tenant_clock()


def _hold_on_the_tenant_clock() -> None:
    """Held-back events: the tenant-clock instant of their due time."""
    events = sa.table(
        "webhook_events",
        sa.column("id", sa.Integer),
        sa.column("tenant_id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("attempts", sa.Integer),
        sa.column("next_attempt_at", INSTANT),
        sa.column("held_until", INSTANT),
    )
    tenants = sa.table(
        "tenants",
        sa.column("id", sa.Integer),
        sa.column("clock_frozen_at", INSTANT),
        sa.column("clock_offset_seconds", sa.BigInteger),
    )
    now = dt.datetime.now(dt.UTC)
    connection = op.get_bind()
    held = connection.execute(
        sa.select(
            events.c.id,
            events.c.next_attempt_at,
            tenants.c.clock_frozen_at,
            tenants.c.clock_offset_seconds,
        )
        .join(tenants, tenants.c.id == events.c.tenant_id)
        .where(
            events.c.status == "pending",
            events.c.attempts == 0,
            events.c.next_attempt_at > now,
        )
    )
    for event_id, due, frozen_at, offset in list(held):
        tenant_now = frozen_at or now + dt.timedelta(seconds=offset)
        connection.execute(
            events.update()
            .where(events.c.id == event_id)
            .values(held_until=tenant_now + (due - now))
        )


def downgrade() -> None:
    """Events a frozen clock holds (due ``NEVER``) are due now: nothing would release them."""
    op.execute(
        sa.text("UPDATE webhook_events SET next_attempt_at = :now WHERE next_attempt_at >= :never")
        .bindparams(sa.bindparam("now", dt.datetime.now(dt.UTC), type_=INSTANT))
        .bindparams(sa.bindparam("never", NEVER, type_=INSTANT))
    )
    op.drop_column("webhook_events", "held_until")
