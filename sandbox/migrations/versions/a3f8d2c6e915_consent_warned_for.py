"""items: ``consent_warned_for``, the consent expiry the last expiry warning was about

The warning (``PENDING_EXPIRATION``/``PENDING_DISCONNECT``) was sent once per item ever,
judged by any past event with that code: a renewed consent never warned again, and a fired
test webhook stood in for the real one. The upgrade marks the items that already had such an
event as warned for their current expiry, so they do not warn twice.

Revision ID: a3f8d2c6e915
Revises: c7e2a4f9d813
Create Date: 2026-11-27 02:00:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sandbox.core.models

revision = "a3f8d2c6e915"
down_revision = "c7e2a4f9d813"
branch_labels = None
depends_on = None

items = sa.table(
    "items",
    sa.column("pk", sa.Integer),
    sa.column("consent_expires_at", sandbox.core.models.UTCDateTime(timezone=True)),
    sa.column("consent_warned_for", sandbox.core.models.UTCDateTime(timezone=True)),
)
events = sa.table(
    "webhook_events", sa.column("item_pk", sa.Integer), sa.column("webhook_code", sa.String)
)


def upgrade() -> None:
    column = sa.Column(
        "consent_warned_for", sandbox.core.models.UTCDateTime(timezone=True), nullable=True
    )
    op.add_column("items", column)
    warned = sa.exists().where(
        events.c.item_pk == items.c.pk,
        events.c.webhook_code.in_(["PENDING_EXPIRATION", "PENDING_DISCONNECT"]),
    )
    op.get_bind().execute(
        items.update().where(warned).values(consent_warned_for=items.c.consent_expires_at)
    )


def downgrade() -> None:
    op.drop_column("items", "consent_warned_for")
