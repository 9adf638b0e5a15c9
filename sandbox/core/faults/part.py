"""``bank.faults``: one tenant's fault rules, institution health, rate limits and the gate.

Dialects reach faults only through this part. ``gate`` is what a dialect runs before each
authenticated call: it resolves the call's access token to the tenant's item itself (a
dialect never queries tokens) and says whether counters moved, so the dialect can commit
them before an error reply rolls the request back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from ..calls import Called
from ..models import FaultRule, InstitutionHealth, Item, Tenant
from . import health, ratelimits, unattended
from . import rules as fault_rules
from . import spec as faults
from .ratelimits import Limit, RateLimiter
from .rules import Decision
from .spec import Context


@dataclass(frozen=True)
class Call:
    """What the gate is told about a call, in the dialect's terms.

    A dialect whose bearer tokens are not Plaid access tokens (TrueLayer's) resolves the
    call's ``item`` itself and passes it instead of ``access_token``.
    """

    endpoint: str
    dialect: str
    access_token: str | None = None
    institution_id: str | None = None
    header: str | None = None
    item: Item | None = None


@dataclass(frozen=True)
class Verdict:
    """The gate's answer: the fault (or None), the call it judged, and whether to commit now."""

    decision: Decision | None
    context: Context
    counted: bool


class Faults:
    """The fault settings and gate of one tenant, on the bank's session."""

    STATUSES = health.STATUSES  # institution health a tenant may set
    TRIGGERS = faults.TRIGGERS  # when a rule may fire

    def __init__(
        self,
        session: Session,
        tenant: Tenant,
        load: Callable[[], Tenant] | None = None,
        resolve: Callable[[str], Called | None] | None = None,
    ) -> None:
        """``tenant`` may be the row ``authenticate`` read: ``load`` gives the tenant itself
        (for changes), ``resolve`` what an access token resolves to (``Bank.resolved``)."""
        self.session = session
        self.tenant_row = tenant
        self.tenant_id = tenant.id  # the tenant row may be gone by the time a call is logged
        self._load = load or (lambda: tenant)
        self._resolve = resolve

    @property
    def tenant(self) -> Tenant:
        """The tenant itself (the rules, health and limits it owns change through it)."""
        return self._load()

    def gate(
        self, call: Call, now: dt.datetime, limiter: RateLimiter | None, limits_on: bool
    ) -> Verdict:
        """The fault this call gets (rate limit, outage, stored rule or one-off header).

        Without a ``limiter`` the call is not counted against its rate limits here: a dialect
        that counts only the calls it accepts (Plaid: well-formed ones) calls ``count`` later.
        """
        context, found = self._judged(call)
        health_status: Callable[[], str | None] | None = None
        if found is not None:
            health_status = partial(getattr, found, "health_status")
        decision, counted = fault_rules.evaluate(
            self.session,
            self.tenant_row,
            context,
            now,
            header=call.header,
            limiter=limiter,
            limits=self._limits(found, limits_on) if limiter is not None else None,
            health_status=health_status,
        )
        return Verdict(decision, context, counted)

    def count(self, call: Call, limiter: RateLimiter, limits_on: bool) -> Verdict:
        """Count the call against its endpoint's rate limits (for a dialect whose ``gate``
        ran without a limiter); the verdict holds the refusal when it is over one."""
        context, found = self._judged(call)
        limits = self._limits(found, limits_on)
        decision = fault_rules.rate_limited(self.tenant_row, context, limiter, limits)
        return Verdict(decision, context, False)

    def _judged(self, call: Call) -> tuple[Context, Called | None]:
        """The call as rules see it, and what its access token resolves to (if it has one)."""
        found = None
        if call.access_token and not call.item and self._resolve is not None:
            found = self._resolve(call.access_token)  # the tenant's settings come with it
        item = call.item or found
        context = Context(
            endpoint=call.endpoint,
            dialect=call.dialect,
            item_id=item.id if item is not None else None,
            institution_id=item.institution_id if item is not None else call.institution_id,
        )
        return context, found

    def _limits(self, found: Called | None, limits_on: bool) -> dict[str, Limit]:
        """The tenant's effective limits, read with the call's item when it has one."""
        if found is not None:
            return ratelimits.effective(found.limits_enabled, found.limit_overrides, limits_on)
        return self.limits(limits_on)

    def record(self, verdict: Verdict, status: int | None, now: dt.datetime) -> bool:
        """Write the request-log row of an injected fault, with the reply's status.

        False when there is nothing to write: no fault, or the tenant is gone.
        """
        tenant = self.session.get(Tenant, self.tenant_id)
        if verdict.decision is None or tenant is None:
            return False
        fault_rules.record(self.session, tenant, verdict.context, verdict.decision, status, now)
        return True

    def count_unattended(self, item: Item, now: dt.datetime) -> None:
        """Count a data call made without the user present (``UnattendedLimitReached`` past
        the banks' daily cap); the dialect commits it whatever the reply."""
        unattended.count_call(self.session, item, now)

    # -- rules ------------------------------------------------------------------------------

    def add_rule(
        self, raw: Mapping[str, Any], now: dt.datetime, seen_count: int | None = None
    ) -> FaultRule:
        """Validate and store a rule (with ``seen_count``: only if the tenant still has that
        many, so a form sent twice adds its rule once)."""
        return fault_rules.add_rule(self.session, self.tenant, raw, now, seen_count)

    @property
    def rule_count(self) -> int:
        """How many rules the tenant has: a form that adds one carries it (``seen_count``)."""
        return int(self.tenant_row.fault_rule_count)

    def rules(self) -> list[FaultRule]:
        """The tenant's rules, oldest first."""
        return fault_rules.rules(self.session, self.tenant_row)

    def delete_rule(self, rule_id: int) -> None:
        """Remove one rule (``NotFound`` if it is not the tenant's)."""
        fault_rules.delete_rule(self.session, self.tenant, rule_id)

    def clear_rules(self) -> int:
        """Remove every rule; returns how many."""
        return fault_rules.clear(self.session, self.tenant)

    def log(self, limit: int = fault_rules.LOG_LIMIT) -> list[dict[str, Any]]:
        """The injected faults, oldest first."""
        return fault_rules.log(self.session, self.tenant_row, limit)

    @staticmethod
    def rule_json(rule: FaultRule) -> dict[str, Any]:
        """A rule as the control API shows it."""
        return fault_rules.rule_json(rule)

    # -- institution health -----------------------------------------------------------------

    def set_health(
        self, institution_id: str, status: str, now: dt.datetime, failure_rate: float | None = None
    ) -> InstitutionHealth:
        """Override an institution's health for the tenant."""
        return health.set_status(
            self.session, self.tenant, institution_id, status, now, failure_rate
        )

    def clear_health(self, institution_id: str | None = None) -> int:
        """Drop health overrides (one institution, or all)."""
        return health.clear(self.session, self.tenant, institution_id)

    def health_overrides(self) -> list[dict[str, Any]]:
        """The tenant's health overrides as JSON-ready dicts."""
        return health.overrides(self.session, self.tenant_row)

    def health_of(self, institution_id: str) -> str:
        """An institution's status as the tenant sees it."""
        return health.status_of(self.session, self.tenant_row, institution_id)

    def health_changed_at(self, institution_id: str) -> dt.datetime | None:
        """When the tenant last changed the institution's health (None: never)."""
        return health.changed_at(self.session, self.tenant_row, institution_id)

    # -- rate limits ------------------------------------------------------------------------

    def limits(self, on_by_default: bool) -> dict[str, Limit]:
        """The tenant's effective limits (empty when switched off)."""
        return ratelimits.limits_for(self.session, self.tenant_row, on_by_default)

    def limits_enabled(self, on_by_default: bool) -> bool:
        """Whether the tenant's limits are on, the switch a dialect's quotas follow too: on or
        off whether or not any dialect gave its endpoints limits."""
        return ratelimits.enabled(self.session, self.tenant_row, on_by_default)

    def configure_limits(self, enabled: bool, overrides: Mapping[str, Mapping[str, Any]]) -> None:
        """Store the tenant's switch and per-endpoint overrides."""
        ratelimits.configure(self.session, self.tenant, enabled, overrides)

    @staticmethod
    def describe_limits(limits: Mapping[str, Limit]) -> dict[str, dict[str, Any]]:
        """The effective table as JSON."""
        return ratelimits.describe(limits)
