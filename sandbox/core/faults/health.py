"""Institution health per tenant: the catalogue's status unless the tenant overrides it.

A tenant marks an institution ``DOWN`` (every item call fails with ``INSTITUTION_DOWN``)
or ``DEGRADED`` (a seeded fraction fails with ``INSTITUTION_NOT_RESPONDING``); Link and
``/institutions/get_by_id`` read :func:`status_of`. The catalogue's own degraded bank only
shows the status, as in Plaid's sandbox; failures come from overrides.

Which calls an outage breaks (data pulls and item creation, not item management) is each
dialect's to say: it adds its endpoints when imported (``add_outage_endpoints``).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .. import errors, institutions
from ..models import InstitutionHealth, Tenant
from ..seeding import seed_int
from . import spec as faults

STATUSES = ("HEALTHY", "DEGRADED", "DOWN")
DEFAULT_FAILURE_RATE = 0.5

# The endpoint globs an outage breaks, by dialect (``add_outage_endpoints``): the core never
# names a dialect's paths.
OUTAGE_ENDPOINTS: dict[str, tuple[str, ...]] = {}
# All of them as one pattern, compiled when a dialect adds its globs, not on each call (the gate
# asks on every call naming an institution); it matches nothing until a dialect adds some.
_outage_pattern = re.compile("(?!)")


def add_outage_endpoints(dialect: str, globs: Iterable[str]) -> None:
    """Let an outage break calls to the endpoints ``globs`` match (``fnmatch``, case-sensitive):
    ``dialect``'s data pulls and item creation."""
    global _outage_pattern
    OUTAGE_ENDPOINTS[dialect] = tuple(globs)
    every = [fnmatch.translate(glob) for own in OUTAGE_ENDPOINTS.values() for glob in own]
    _outage_pattern = re.compile("|".join(every) or "(?!)")


def breaks(endpoint: str) -> bool:
    """Whether an outage of the call's institution breaks a call to ``endpoint``."""
    return _outage_pattern.match(endpoint) is not None


def status_of(session: Session, tenant: Tenant, institution_id: str) -> str:
    """``HEALTHY``, ``DEGRADED`` or ``DOWN`` for this tenant (override, else catalogue)."""
    row = session.get(InstitutionHealth, (tenant.id, institution_id))
    if row is not None:
        return row.status
    return institutions.get(institution_id).status


def changed_at(session: Session, tenant: Tenant, institution_id: str) -> dt.datetime | None:
    """When the tenant last changed this institution's health (None: catalogue status)."""
    row = session.get(InstitutionHealth, (tenant.id, institution_id))
    return row.changed_at if row is not None else None


def set_status(
    session: Session,
    tenant: Tenant,
    institution_id: str,
    status: str,
    now: dt.datetime,
    failure_rate: float | None = None,
) -> InstitutionHealth:
    """Override an institution's health for the tenant (``DEGRADED`` fails a fraction)."""
    institutions.get(institution_id)
    if status not in STATUSES:
        raise errors.InvalidField(f"status must be one of {', '.join(STATUSES)}", field="status")
    if failure_rate is not None and not 0.0 <= failure_rate <= 1.0:
        raise errors.InvalidField("failure_rate must be from 0 to 1", field="failure_rate")
    row = session.get(InstitutionHealth, (tenant.id, institution_id))
    if row is None:
        row = InstitutionHealth(tenant_id=tenant.id, institution_id=institution_id, evaluations=0)
        session.add(row)
    row.status = status
    row.failure_rate = failure_rate if failure_rate is not None else _default_rate(status)
    row.changed_at = now
    session.flush()
    return row


def clear(session: Session, tenant: Tenant, institution_id: str | None = None) -> int:
    """Drop overrides (one institution, or all); returns how many were removed."""
    query = delete(InstitutionHealth).where(InstitutionHealth.tenant_id == tenant.id)
    if institution_id is not None:
        query = query.where(InstitutionHealth.institution_id == institution_id)
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]  # CursorResult of a DELETE


def overrides(session: Session, tenant: Tenant) -> list[dict[str, Any]]:
    """The tenant's overrides as JSON-ready dicts."""
    rows = session.scalars(
        select(InstitutionHealth)
        .where(InstitutionHealth.tenant_id == tenant.id)
        .order_by(InstitutionHealth.institution_id)
    )
    return [
        {
            "institution_id": r.institution_id,
            "status": r.status,
            "failure_rate": r.failure_rate,
            "changed_at": r.changed_at.isoformat(),
        }
        for r in rows
    ]


def check(session: Session, tenant: Tenant, institution_id: str) -> errors.CoreError | None:
    """The error an item call at this institution fails with now, if any.

    ``DEGRADED`` draws from ``(tenant seed, institution, evaluation number)``, so the
    same sequence of calls fails at the same places on every run.
    """
    row = session.get(InstitutionHealth, (tenant.id, institution_id))
    if row is None or row.status == "HEALTHY":
        return None
    if row.status == "DOWN":
        return errors.InstitutionDown()
    k = session.execute(
        update(InstitutionHealth)
        .where(
            InstitutionHealth.tenant_id == tenant.id,
            InstitutionHealth.institution_id == institution_id,
        )
        .values(evaluations=InstitutionHealth.evaluations + 1)
        .returning(InstitutionHealth.evaluations)
    ).scalar_one()
    if faults.draw(faults_seed(tenant, institution_id), k) < row.failure_rate:
        return errors.InstitutionNotResponding()
    return None


def faults_seed(tenant: Tenant, institution_id: str) -> int:
    """The seed of an institution's degraded draws for this tenant."""
    return seed_int(tenant.seed, "health", institution_id)


def _default_rate(status: str) -> float:
    return {"HEALTHY": 0.0, "DOWN": 1.0}.get(status, DEFAULT_FAILURE_RATE)
