"""The fault gate in the core: stored rules, health overrides, rate limits and the request log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from sandbox.core import errors, tenants
from sandbox.core.bank import Bank, Call
from sandbox.core.faults import health, ratelimits
from sandbox.core.faults import rules as fault_rules
from sandbox.core.faults.spec import Context
from sandbox.core.models import FaultRule, InstitutionHealth, RequestLog
from tests.unit.conftest import link

SYNC = Context(endpoint="/transactions/sync", item_id="item-a", institution_id="ins_109508")
ACCOUNTS = Context(endpoint="/accounts/get", item_id="item-a", institution_id="ins_109508")


def gate(bank: Bank, ctx: Context = SYNC, **kwargs: object) -> fault_rules.Decision | None:
    return fault_rules.evaluate(bank.session, bank.tenant, ctx, bank.now(), **kwargs)[0]  # type: ignore[arg-type]


def add(bank: Bank, **fields: object) -> FaultRule:
    return fault_rules.add_rule(bank.session, bank.tenant, fields, bank.now())


def failing_calls(bank: Bank, calls: int) -> list[int]:
    return [k for k in range(1, calls + 1) if gate(bank) is not None]


def test_rules_match_count_and_fire_in_creation_order(bank: Bank) -> None:
    first = add(bank, endpoint="/transactions/*", error_code="ITEM_LOCKED", trigger="nth", n=2)
    second = add(bank, http_status=503)
    decisions = [gate(bank, SYNC), gate(bank, SYNC), gate(bank, ACCOUNTS)]
    assert [d.rule_id if d else None for d in decisions] == [second.id, first.id, second.id]
    assert isinstance(decisions[1].error, errors.ItemLocked)  # type: ignore[union-attr]
    assert (first.matched, first.fired) == (2, 1)
    assert (second.matched, second.fired) == (2, 2)


def test_next_n_calls_then_healthy(bank: Bank) -> None:
    add(bank, error_code="INSTITUTION_NOT_RESPONDING", trigger="next", n=2)
    assert failing_calls(bank, 5) == [1, 2]


def test_window_uses_the_tenant_clock(bank: Bank) -> None:
    add(bank, drop=True, trigger="window", start="2026-03-17T00:00:00Z")
    assert gate(bank) is None
    clock = bank.clock
    clock.advance(dt.timedelta(days=1))
    bank.set_clock(clock)
    assert gate(bank).action.kind == "drop"  # type: ignore[union-attr]


def test_seeded_chaos_rule_fails_the_same_calls_on_two_runs(session: Session) -> None:
    runs = []
    for name in ("run-1", "run-2"):
        tenant, _ = tenants.create(session, name, 7)
        bank = Bank(session, tenant)
        add(bank, error_code="INSTITUTION_NOT_RESPONDING", trigger="probability", probability=0.3)
        runs.append(failing_calls(bank, 100))
    assert runs[0] == runs[1]
    assert 15 <= len(runs[0]) <= 45


def test_header_fault_applies_once_without_a_rule(bank: Bank) -> None:
    decision = gate(bank, header="code=INSTITUTION_NOT_RESPONDING")
    assert decision is not None and decision.source == "header"
    assert isinstance(decision.error, errors.InstitutionNotResponding)
    assert gate(bank) is None


def test_institution_down_fails_data_calls_not_item_management(bank: Bank) -> None:
    health.set_status(bank.session, bank.tenant, "ins_109508", "DOWN", bank.now())
    assert isinstance(gate(bank).error, errors.InstitutionDown)  # type: ignore[union-attr]
    item_get = Context(endpoint="/item/get", item_id="item-a", institution_id="ins_109508")
    assert gate(bank, item_get) is None
    assert health.status_of(bank.session, bank.tenant, "ins_109508") == "DOWN"


@pytest.fixture
def acme() -> Iterator[None]:
    """A dialect Acme whose pulls (``/acme/<id>/pull``) an outage breaks, for one test."""
    health.add_outage_endpoints("acme", ["/acme/*/pull"])
    yield
    health.add_outage_endpoints("acme", ())
    del health.OUTAGE_ENDPOINTS["acme"]


@pytest.mark.usefixtures("acme")
def test_an_outage_breaks_the_endpoints_each_dialect_adds(bank: Bank) -> None:
    health.set_status(bank.session, bank.tenant, "ins_109508", "DOWN", bank.now())
    pull, push = (
        Context(endpoint=f"/acme/a1/{verb}", dialect="acme", institution_id="ins_109508")
        for verb in ("pull", "push")
    )
    assert isinstance(gate(bank, pull).error, errors.InstitutionDown)  # type: ignore[union-attr]
    assert gate(bank, push) is None
    assert isinstance(gate(bank).error, errors.InstitutionDown)  # type: ignore[union-attr]


def test_institution_degraded_fails_a_seeded_fraction(session: Session) -> None:
    runs = []
    for name in ("a", "b"):
        tenant, _ = tenants.create(session, name, 7)
        bank = Bank(session, tenant)
        health.set_status(session, tenant, "ins_109508", "DEGRADED", bank.now(), 0.4)
        runs.append(failing_calls(bank, 50))
    assert runs[0] == runs[1]
    assert 8 <= len(runs[0]) <= 32
    health.set_status(session, bank.tenant, "ins_109508", "DEGRADED", bank.now(), 1.0)
    assert isinstance(gate(bank).error, errors.InstitutionNotResponding)  # type: ignore[union-attr]


def test_health_status_falls_back_to_the_catalogue(bank: Bank) -> None:
    assert health.status_of(bank.session, bank.tenant, "ins_132363") == "DEGRADED"
    health.set_status(bank.session, bank.tenant, "ins_132363", "HEALTHY", bank.now())
    assert health.status_of(bank.session, bank.tenant, "ins_132363") == "HEALTHY"
    health.clear(bank.session, bank.tenant, "ins_132363")
    assert health.status_of(bank.session, bank.tenant, "ins_132363") == "DEGRADED"


def test_health_rejects_unknown_status_and_institution(bank: Bank) -> None:
    with pytest.raises(errors.InvalidField):
        health.set_status(bank.session, bank.tenant, "ins_109508", "SLEEPY", bank.now())
    with pytest.raises(errors.InvalidInstitution):
        health.set_status(bank.session, bank.tenant, "ins_nope", "DOWN", bank.now())


def test_rate_limit_decision_carries_code_and_retry_after(bank: Bank) -> None:
    limiter = ratelimits.RateLimiter()
    limits = {"/transactions/sync": ratelimits.Limit(2, 100, "TRANSACTIONS_SYNC_LIMIT")}
    assert [gate(bank, limiter=limiter, limits=limits) for _ in range(2)] == [None, None]
    decision = gate(bank, limiter=limiter, limits=limits)
    assert decision is not None and decision.source == "rate_limit"
    assert decision.error is not None
    assert decision.error.detail["code"] == "TRANSACTIONS_SYNC_LIMIT"
    assert 1 <= int(decision.error.detail["retry_after"]) <= 60  # type: ignore[call-overload]


def test_a_gate_without_a_limiter_leaves_the_count_to_count(bank: Bank) -> None:
    """Plaid's gate runs before the body is checked, without a limiter; ``count`` then counts
    the calls the dialect accepted, and refuses the one over the limit."""
    bank.faults.configure_limits(True, {"/item/get": {"per_item": 2}})
    token = link(bank)
    call = Call(endpoint="/item/get", dialect="plaid", access_token=token)
    limiter = ratelimits.RateLimiter()
    for _ in range(3):
        assert bank.faults.gate(call, bank.now(), None, True).decision is None
    assert [bank.faults.count(call, limiter, True).decision for _ in range(2)] == [None, None]
    refused = bank.faults.count(call, limiter, True)
    assert refused.decision is not None and refused.decision.source == "rate_limit"
    assert refused.decision.error is not None
    assert refused.decision.error.detail["code"] == "ITEM_GET_LIMIT"
    assert refused.context.item_id == bank.item(token).id


def test_record_and_list_the_request_log(bank: Bank) -> None:
    rule = add(bank, error_code="ITEM_LOCKED")
    decision = gate(bank)
    assert decision is not None
    fault_rules.record(bank.session, bank.tenant, SYNC, decision, 400, bank.now())
    [entry] = fault_rules.log(bank.session, bank.tenant)
    assert entry["rule_id"] == rule.id
    assert (entry["endpoint"], entry["status"], entry["error_code"]) == (
        "/transactions/sync",
        400,
        "ITEM_LOCKED",
    )


def test_tenant_reset_forgets_rules_health_and_log(bank: Bank) -> None:
    add(bank, drop=True)
    health.set_status(bank.session, bank.tenant, "ins_109508", "DOWN", bank.now())
    fault_rules.record(bank.session, bank.tenant, SYNC, gate(bank), None, bank.now())  # type: ignore[arg-type]
    tenants.reset(bank.session, bank.tenant)
    for model in (FaultRule, InstitutionHealth, RequestLog):
        assert bank.session.query(model).count() == 0


def test_delete_rule_of_another_tenant_is_an_error(bank: Bank, session: Session) -> None:
    other, _ = tenants.create(session, "other", 1)
    rule = add(bank, drop=True)
    with pytest.raises(errors.NotFound):
        fault_rules.delete_rule(session, other, rule.id)
