"""``bank.faults`` and ``bank.outbox``: the tenant-bound doors dialects use."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from sandbox.core import errors, tenants
from sandbox.core.bank import Bank, Call, Catcher, CatcherQuota
from tests.unit.conftest import link

SYNC = "/transactions/sync"


def test_gate_resolves_the_tenants_own_access_token(bank: Bank) -> None:
    """The item and its institution come from the token, not from the dialect."""
    token = link(bank, "ins_109508")
    verdict = bank.faults.gate(Call(SYNC, "plaid", access_token=token), bank.now(), None, False)
    assert verdict.decision is None
    assert verdict.context.item_id == bank.item(token).id
    assert verdict.context.institution_id == "ins_109508"


def test_gate_ignores_another_tenants_token(bank: Bank, session: Session) -> None:
    """A token of tenant B names no item for tenant A (rules scoped to an item stay quiet)."""
    other = Bank(session, tenants.create(session, "other", 7)[0])
    token = link(other)
    verdict = bank.faults.gate(Call(SYNC, "plaid", access_token=token), bank.now(), None, False)
    assert verdict.context.item_id is None


def test_gate_says_when_counters_moved(bank: Bank) -> None:
    """Matching a stored rule moves its counters; the answer says so (commit before replying)."""
    quiet = bank.faults.gate(Call(SYNC, "plaid"), bank.now(), None, False)
    bank.faults.add_rule({"endpoint": SYNC, "http_status": 503}, bank.now())
    loud = bank.faults.gate(Call(SYNC, "plaid"), bank.now(), None, False)
    assert (quiet.counted, loud.counted) == (False, True)
    assert loud.decision is not None and loud.decision.action.http_status == 503
    assert bank.faults.record(loud, 503, bank.now())
    assert [entry["status"] for entry in bank.faults.log()] == [503]


def test_health_through_the_part(bank: Bank) -> None:
    """An override is visible as the tenant's status until cleared."""
    bank.faults.set_health("ins_109508", "DOWN", bank.now())
    assert bank.faults.health_of("ins_109508") == "DOWN"
    assert bank.faults.clear_health() == 1
    assert bank.faults.health_overrides() == []


def test_outbox_lists_pauses_and_keys(bank: Bank) -> None:
    """Events queued by the core are the tenant's; keys rotate and are found by kid."""
    token = link(bank)
    bank.update_webhook(token, "https://example.test/hook")
    events = bank.outbox.events()
    assert [e.webhook_code for e in events] == ["WEBHOOK_UPDATE_ACKNOWLEDGED"]
    assert json.loads(bank.outbox.event(events[0].id).body)["environment"] == "sandbox"
    bank.outbox.set_paused(True)
    assert bank.outbox.paused
    jwk = bank.outbox.rotate_key(bank.now())
    assert bank.outbox.public_key(jwk["kid"]) == jwk
    with pytest.raises(errors.InvalidWebhookKeyId):
        bank.outbox.public_key("nope")


def test_catcher_keeps_what_arrived(session: Session) -> None:
    """The catcher is no tenant's: it stores and prunes by name."""
    catcher = Catcher(session)
    for n in range(3):
        catcher.catch("demo", {}, f"body {n}", CatcherQuota(keep=2, keep_all=10))
    assert [row.body for row in catcher.caught("demo")] == ["body 1", "body 2"]
    catcher.clear("demo")
    assert catcher.caught("demo") == []
