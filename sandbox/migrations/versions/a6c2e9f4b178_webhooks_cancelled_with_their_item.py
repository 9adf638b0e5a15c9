"""webhooks_cancelled_with_their_item: an Asset report's webhooks name the report they announce

``webhook_events.asset_report_id`` ties an ``ASSETS`` webhook (it has no item) to its report, so
removing the report's last item cancels it as removing an item cancels the item's own (status
``cancelled``, a value the column already holds; removing the item, or clearing the URL of a
webhook still held back, now keeps the webhook in the log with that status). Pending ``ASSETS`` webhooks queued before
this get the ``asset_report_id`` their body names. A plain column addition, in place on SQLite
(a rebuilt ``webhook_events`` would cascade-delete the attempt log).

Revision ID: a6c2e9f4b178
Revises: c3e8a1f5d702
Create Date: 2026-11-27 20:30:00

"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "a6c2e9f4b178"
down_revision = "c3e8a1f5d702"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("webhook_events", sa.Column("asset_report_id", sa.String(36), nullable=True))
    _name_the_reports_of_pending_assets_webhooks()


def _name_the_reports_of_pending_assets_webhooks() -> None:
    events = sa.table(
        "webhook_events",
        sa.column("id", sa.Integer),
        sa.column("webhook_type", sa.String),
        sa.column("status", sa.String),
        sa.column("body", sa.Text),
        sa.column("asset_report_id", sa.String),
    )
    connection = op.get_bind()
    pending = connection.execute(
        sa.select(events.c.id, events.c.body).where(
            events.c.webhook_type == "ASSETS", events.c.status == "pending"
        )
    )
    for event_id, body in list(pending):
        report_id = json.loads(body).get("asset_report_id")
        if isinstance(report_id, str):
            connection.execute(
                events.update()
                .where(events.c.id == event_id)
                .values(asset_report_id=report_id[:36])
            )


def downgrade() -> None:
    """The older code has no ``cancelled`` state (its dashboard cannot show one, its
    redelivery would send it): cancelled webhooks go, as it deleted those a cleared URL
    dropped; their attempts go with them."""
    op.execute(
        "DELETE FROM webhook_attempts WHERE event_id IN "
        "(SELECT id FROM webhook_events WHERE status = 'cancelled')"
    )
    op.execute("DELETE FROM webhook_events WHERE status = 'cancelled'")
    op.drop_column("webhook_events", "asset_report_id")
