"""Stored fault rules, the gate every dialect call passes, and the request log.

``evaluate`` decides, before a view runs, whether the call fails and how: a one-off
``Sandbox-Fault`` header first, then the rate limits, the institution's health, and
the tenant's rules in creation order (the first that fires decides). Counters are
bumped with ``UPDATE … RETURNING`` so concurrent workers never share a call index.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .. import errors, institutions
from ..models import FaultRule, InstitutionHealth, Item, RequestLog, Tenant
from . import health
from . import spec as faults
from .ratelimits import Limit, RateLimiter

LOG_LIMIT = 500


@dataclass(frozen=True)
class Decision:
    """A fault to inject into the current call, and where it came from."""

    action: faults.Action
    source: str  # "header", "rate_limit", "health" or "rule"
    rule_id: int | None = None
    error: errors.CoreError | None = None


def add_rule(
    session: Session,
    tenant: Tenant,
    raw: Mapping[str, Any],
    now: dt.datetime,
    seen_count: int | None = None,
) -> FaultRule:
    """Validate and store a rule for the tenant; with ``seen_count`` (how many rules the page
    that sent it showed), only if the tenant still has that many."""
    spec = faults.validate(raw)
    _check_known(session, tenant, spec)
    if seen_count is None:
        tenant.fault_rule_count = Tenant.fault_rule_count + 1
    elif not _counted_from(session, tenant, seen_count):
        raise errors.InvalidField(
            "the rules had changed since the page showed them (a second click or another tab), "
            "so this rule was not added again: check the list and add it once more",
            field="seen",
        )
    rule = FaultRule(tenant_id=tenant.id, spec=spec, matched=0, fired=0, created_at=now)
    session.add(rule)
    session.flush()
    return rule


def header_rule(
    session: Session, tenant: Tenant, header: str, ctx: faults.Context
) -> dict[str, Any] | None:
    """The one-off rule of a ``Sandbox-Fault`` header if it applies to this call, matched as
    a stored rule is: a header an app sends with every call (an SDK's default headers) fires
    only on the calls its endpoint, item and institution name. On a call of an endpoint it
    names but of another item or institution, it is held to a stored rule's checks: naming
    an unknown institution or an item the tenant lacks (removed, another tenant's) is the
    caller's mistake, refused naming ``Sandbox-Fault.<field>``, not a test run silently
    without its fault. (A call it matches names its own item, so there is nothing to look up.)"""
    spec = faults.parse_header(header, ctx.dialect)
    if faults.matches(spec, ctx):
        return spec
    if faults.matches({**spec, "item_id": None, "institution_id": None}, ctx):
        _check_known(session, tenant, spec, field_prefix=faults.HEADER_FIELD_PREFIX)
    return None


def _check_known(
    session: Session, tenant: Tenant, spec: Mapping[str, Any], *, field_prefix: str = ""
) -> None:
    """Refuse a rule naming an institution the catalogue lacks, an item the tenant has not
    (another tenant's, a removed one) or an item at another institution than the rule's:
    stored, it would match no call and never fire, silently. ``INVALID_FIELD``, as every id
    in a control body (a 404 is for an id in a path); ``field_prefix`` names where the rule
    came from (the header's)."""
    institution_id, item_id = spec.get("institution_id"), spec.get("item_id")
    institution_field, item_field = f"{field_prefix}institution_id", f"{field_prefix}item_id"
    if institution_id is not None:
        try:
            institutions.get(institution_id)
        except errors.InvalidInstitution:
            raise errors.InvalidField(
                f"unknown {institution_field} {institution_id}: no institution of the "
                "catalogue has it, so the rule could never fire",
                field=institution_field,
            ) from None
    if item_id is None:
        return
    item = session.scalar(
        select(Item).where(
            Item.tenant_id == tenant.id, Item.id == item_id, Item.removed_at.is_(None)
        )
    )
    if item is None:
        raise errors.InvalidField(
            f"unknown {item_field} {item_id}: this tenant has no live item with it, so the "
            "rule could never fire",
            field=item_field,
        )
    if institution_id not in (None, item.institution_id):
        raise errors.InvalidField(
            f"item {item_id} is at {item.institution_id}, not {institution_field} "
            f"{institution_id}, so the rule could never fire",
            field=institution_field,
        )


def _counted_from(session: Session, tenant: Tenant, seen_count: int) -> bool:
    """Count one more rule if the tenant has ``seen_count``. A conditional UPDATE, not a read:
    the two requests of a double click both read the same count, but only the first one's
    UPDATE matches; the second waits for its commit, then matches nothing."""
    counted = session.execute(
        update(Tenant)
        .where(Tenant.id == tenant.id, Tenant.fault_rule_count == seen_count)
        .values(fault_rule_count=Tenant.fault_rule_count + 1)
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        return False
    session.expire(tenant, ["fault_rule_count"])
    return True


def rules(session: Session, tenant: Tenant) -> list[FaultRule]:
    """The tenant's rules in evaluation (creation) order."""
    return list(
        session.scalars(
            select(FaultRule).where(FaultRule.tenant_id == tenant.id).order_by(FaultRule.id)
        )
    )


def delete_rule(session: Session, tenant: Tenant, rule_id: int) -> None:
    """Remove one rule; an id the tenant does not own is ``NotFound`` naming ``rule_id``."""
    rule = session.get(FaultRule, rule_id)
    if rule is None or rule.tenant_id != tenant.id:
        raise errors.NotFound(f"no fault rule {rule_id}", field="rule_id")
    session.delete(rule)
    tenant.fault_rule_count = Tenant.fault_rule_count - 1


def clear(session: Session, tenant: Tenant) -> int:
    """Remove every rule of the tenant; returns how many there were."""
    result = session.execute(delete(FaultRule).where(FaultRule.tenant_id == tenant.id))
    tenant.fault_rule_count = 0
    return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def rule_json(rule: FaultRule) -> dict[str, Any]:
    """A rule as the control API and the CLI show it."""
    return {
        "id": rule.id,
        **rule.spec,
        "matched": rule.matched,
        "fired": rule.fired,
        "created_at": rule.created_at.isoformat(),
    }


def evaluate(
    session: Session,
    tenant: Tenant,
    ctx: faults.Context,
    now: dt.datetime,
    *,
    header: str | None = None,
    limiter: RateLimiter | None = None,
    limits: Mapping[str, Limit] | None = None,
    health_status: Callable[[], str | None] | None = None,
) -> tuple[Decision | None, bool]:
    """The fault this call gets, if any (a rate limit or outage becomes an error decision),
    and whether counters moved (the caller commits them at once, whatever the reply).

    ``health_status`` gives the status of the tenant's health override of the call's
    institution (None: no override) when the caller has read it already (the gate reads it
    with the item); otherwise it is looked up.
    """
    if header:
        spec = header_rule(session, tenant, header, ctx)
        if spec is not None and faults.fires(spec, 1, now, tenant.seed):
            return _decide(spec, 1, ctx, tenant.seed, "header", None), False
    refused = rate_limited(tenant, ctx, limiter, limits) if limiter and limits else None
    if refused is not None:
        return refused, False
    outage, counted = _outage(session, tenant, ctx, health_status)
    if outage is not None:
        return _error_decision(outage, "health"), counted
    for rule in rules(session, tenant) if tenant.fault_rule_count else ():
        if not faults.matches(rule.spec, ctx):
            continue
        counted, k = True, _bump(session, rule, FaultRule.matched)
        if faults.fires(rule.spec, k, now, tenant.seed):
            _bump(session, rule, FaultRule.fired)
            return _decide(rule.spec, k, ctx, tenant.seed, "rule", rule.id), counted
    return None, counted


def rate_limited(
    tenant: Tenant, ctx: faults.Context, limiter: RateLimiter, limits: Mapping[str, Limit]
) -> Decision | None:
    """Count the call against its endpoint's limits; the refusal if it is over one of them."""
    if ctx.endpoint not in limits:
        return None
    try:
        limiter.hit(tenant.client_id, ctx.endpoint, ctx.item_id, limits[ctx.endpoint])
    except errors.RateLimited as exc:
        return _error_decision(exc, "rate_limit")
    return None


def _outage(
    session: Session,
    tenant: Tenant,
    ctx: faults.Context,
    health_status: Callable[[], str | None] | None,
) -> tuple[errors.CoreError | None, bool]:
    """An institution outage for this call, and whether ``check`` counted an evaluation."""
    if not ctx.institution_id:
        return None, False
    if not health.breaks(ctx.endpoint):
        return None, False
    if health_status is not None:
        status = health_status()
    else:
        row = session.get(InstitutionHealth, (tenant.id, ctx.institution_id))
        status = None if row is None else row.status
    if status is None:
        return None, False  # no override: the catalogue status, which ``check`` never fails
    return health.check(session, tenant, ctx.institution_id), status == "DEGRADED"


def _error_decision(exc: errors.CoreError, source: str) -> Decision:
    code = str(exc.detail.get("code") or exc.condition)
    return Decision(faults.Action("error", error_code=code), source, error=exc)


def _decide(
    spec: Mapping[str, Any],
    k: int,
    ctx: faults.Context,
    seed: int,
    source: str,
    rule_id: int | None,
) -> Decision:
    action = faults.action(spec, k, seed)
    error = faults.error_for(action.error_code, ctx.dialect) if action.error_code else None
    return Decision(action, source, rule_id, error)


def _bump(session: Session, rule: FaultRule, column: Any) -> int:
    value: int = session.execute(
        update(FaultRule)
        .where(FaultRule.id == rule.id)
        .values({column: column + 1})
        .returning(column)
    ).scalar_one()
    return value


def record(
    session: Session,
    tenant: Tenant,
    ctx: faults.Context,
    decision: Decision,
    status: int | None,
    now: dt.datetime,
) -> RequestLog:
    """Write the request-log row of an injected fault."""
    entry = RequestLog(
        tenant_id=tenant.id,
        item_id=ctx.item_id,
        endpoint=ctx.endpoint,
        source=decision.source,
        rule_id=decision.rule_id,
        action=decision.action.kind,
        status=status,
        error_code=str(decision.error.detail.get("code") or decision.error.condition)
        if decision.error is not None
        else None,
        latency_ms=decision.action.latency_ms,
        at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def log(session: Session, tenant: Tenant, limit: int = LOG_LIMIT) -> list[dict[str, Any]]:
    """The tenant's most recent injected faults, oldest first."""
    rows = list(
        session.scalars(
            select(RequestLog)
            .where(RequestLog.tenant_id == tenant.id)
            .order_by(RequestLog.id.desc())
            .limit(limit)
        )
    )
    return [
        {
            "id": r.id,
            "at": r.at.isoformat(),
            "endpoint": r.endpoint,
            "item_id": r.item_id,
            "source": r.source,
            "rule_id": r.rule_id,
            "action": r.action,
            "status": r.status,
            "error_code": r.error_code,
            "latency_ms": r.latency_ms,
        }
        for r in reversed(rows)
    ]


def reset(session: Session, tenant: Tenant) -> None:
    """Forget the tenant's rules, health overrides and request log."""
    clear(session, tenant)
    health.clear(session, tenant)
    session.execute(delete(RequestLog).where(RequestLog.tenant_id == tenant.id))
