"""``bank.faults``: one tenant's fault rules, institution health, rate limits and the gate.

Dialects reach faults only through this part. ``gate`` is what a dialect runs before each
authenticated call: it resolves the call's access token to the tenant's item itself (a
dialect never queries tokens) and says whether counters moved, so the dialect can commit
them before an error reply rolls the request back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from .. import tokens
from ..models import AccessToken, FaultRule, InstitutionHealth, Item, RateLimitSetting, Tenant
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


# Built once (every gated call runs it): the item behind a token, with the tenant's health
# override of the item's institution and its rate-limit setting, if any.
_ITEM_AND_SETTINGS = (
    select(AccessToken, Item, InstitutionHealth, RateLimitSetting)
    .join(Item, Item.pk == AccessToken.item_pk)
    .outerjoin(
        InstitutionHealth,
        and_(
            InstitutionHealth.tenant_id == bindparam("tenant_id"),
            InstitutionHealth.institution_id == Item.institution_id,
        ),
    )
    .outerjoin(RateLimitSetting, RateLimitSetting.tenant_id == bindparam("tenant_id"))
    .where(AccessToken.token == bindparam("token"))
)


@dataclass(frozen=True)
class _Found:
    """The call's item and the tenant's settings read with it."""

    item: Item
    health: InstitutionHealth | None
    setting: RateLimitSetting | None

    def health_row(self) -> InstitutionHealth | None:
        return self.health


class Faults:
    """The fault settings and gate of one tenant, on the bank's session."""

    STATUSES = health.STATUSES  # institution health a tenant may set
    TRIGGERS = faults.TRIGGERS  # when a rule may fire

    def __init__(self, session: Session, tenant: Tenant) -> None:
        self.session = session
        self.tenant = tenant
        self.tenant_id = tenant.id  # the tenant row may be gone by the time a call is logged
        self._held: object = None  # the item the gate loaded, kept for the view

    def gate(
        self, call: Call, now: dt.datetime, limiter: RateLimiter | None, limits_on: bool
    ) -> Verdict:
        """The fault this call gets (rate limit, outage, stored rule or one-off header)."""
        found = self._item_for(call.access_token) if call.access_token and not call.item else None
        item = call.item or (found.item if found is not None else None)
        context = Context(
            endpoint=call.endpoint,
            dialect=call.dialect,
            item_id=item.id if item is not None else None,
            institution_id=item.institution_id if item is not None else call.institution_id,
        )
        if found is not None:  # the settings came with the item
            limits = ratelimits.effective(found.setting, limits_on)
            health_row = found.health_row
        else:
            limits, health_row = self.limits(limits_on), None
        decision, counted = fault_rules.evaluate(
            self.session,
            self.tenant,
            context,
            now,
            header=call.header,
            limiter=limiter,
            limits=limits,
            health_row=health_row,
        )
        return Verdict(decision, context, counted)

    def record(self, verdict: Verdict, status: int | None, now: dt.datetime) -> bool:
        """Write the request-log row of an injected fault, with the reply's status.

        False when there is nothing to write: no fault, or the tenant is gone.
        """
        tenant = self.session.get(Tenant, self.tenant_id)
        if verdict.decision is None or tenant is None:
            return False
        fault_rules.record(self.session, tenant, verdict.context, verdict.decision, status, now)
        return True

    def _item_for(self, access_token: str) -> _Found | None:
        """The tenant's item behind the token, with the tenant's rate-limit setting and its
        health override of the item's institution: everything the gate reads, one query."""
        found = self.session.execute(
            _ITEM_AND_SETTINGS,
            {"tenant_id": self.tenant_id, "token": tokens.at_rest(self.session, access_token)},
        ).first()
        self._held = found  # the session holds loaded rows weakly: the view reuses these
        if found is None or found[1].tenant_id != self.tenant_id:
            return None
        return _Found(found[1], found[2], found[3])

    def count_unattended(self, item: Item, now: dt.datetime) -> None:
        """Count a data call made without the user present (``UnattendedLimitReached`` past
        the banks' daily cap); the dialect commits it whatever the reply."""
        unattended.count_call(self.session, item, now)

    # -- rules ------------------------------------------------------------------------------

    def add_rule(self, raw: Mapping[str, Any], now: dt.datetime) -> FaultRule:
        """Validate and store a rule."""
        return fault_rules.add_rule(self.session, self.tenant, raw, now)

    def rules(self) -> list[FaultRule]:
        """The tenant's rules, oldest first."""
        return fault_rules.rules(self.session, self.tenant)

    def delete_rule(self, rule_id: int) -> None:
        """Remove one rule (``NotFound`` if it is not the tenant's)."""
        fault_rules.delete_rule(self.session, self.tenant, rule_id)

    def clear_rules(self) -> int:
        """Remove every rule; returns how many."""
        return fault_rules.clear(self.session, self.tenant)

    def log(self, limit: int = fault_rules.LOG_LIMIT) -> list[dict[str, Any]]:
        """The injected faults, oldest first."""
        return fault_rules.log(self.session, self.tenant, limit)

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
        return health.overrides(self.session, self.tenant)

    def health_of(self, institution_id: str) -> str:
        """An institution's status as the tenant sees it."""
        return health.status_of(self.session, self.tenant, institution_id)

    def health_changed_at(self, institution_id: str) -> dt.datetime | None:
        """When the tenant last changed the institution's health (None: never)."""
        return health.changed_at(self.session, self.tenant, institution_id)

    # -- rate limits ------------------------------------------------------------------------

    def limits(self, on_by_default: bool) -> dict[str, Limit]:
        """The tenant's effective limits (empty when switched off)."""
        return ratelimits.limits_for(self.session, self.tenant, on_by_default)

    def configure_limits(self, enabled: bool, overrides: Mapping[str, Mapping[str, Any]]) -> None:
        """Store the tenant's switch and per-endpoint overrides."""
        ratelimits.configure(self.session, self.tenant, enabled, overrides)

    @staticmethod
    def describe_limits(limits: Mapping[str, Limit]) -> dict[str, dict[str, Any]]:
        """The effective table as JSON."""
        return ratelimits.describe(limits)
