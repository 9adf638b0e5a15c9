"""The dispatcher's ``prepare`` step runs before each pass, with the pass's tenant, and what it
queues goes out in that same pass (how held-back histories reach receivers)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sandbox.core.bank import Bank
from sandbox.core.models import WebhookEvent
from sandbox.core.webhooks import outbox
from sandbox.core.webhooks.dispatch import Dispatcher
from tests.unit.test_webhooks_dispatch import NOW, URL, FakeReceiver


def test_prepare_runs_first_and_its_events_are_delivered_in_the_pass(bank: Bank) -> None:
    """An event queued by ``prepare`` is posted by the same ``deliver_pending`` call."""
    seen: list[int | None] = []

    def prepare(session: Session, tenant_id: int | None) -> None:
        seen.append(tenant_id)
        event = outbox.emit(session, bank.tenant, None, "LINK", "EVENTS", {}, url=URL)
        assert isinstance(event, WebhookEvent)
        event.next_attempt_at = NOW

    receiver = FakeReceiver(200)
    made = Dispatcher(post=receiver, prepare=prepare).deliver_pending(
        bank.session, NOW, tenant_id=bank.tenant.id
    )
    assert (seen, made) == ([bank.tenant.id], 1)
    assert receiver.calls[0]["body"]["webhook_code"] == "EVENTS"
