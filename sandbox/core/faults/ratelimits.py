"""Rate limits per endpoint, counted with the ``limits`` library in a shared store.

Each endpoint may have a limit per item and per client (tenant) per minute. Which endpoints,
how many calls and the codes a refusal carries are each dialect's to say: it adds its table
when imported (``add_rate_limits``; Plaid's sandbox numbers live in ``sandbox/plaid``).
Counters live in ``limits`` storage: in memory by default (one process), or Redis when
``RATELIMIT_STORAGE_URL`` is set, so every worker counts against the same budget.
A tenant can switch limits off or override them (``RateLimitSetting``).

``limits`` loads at the first counted call, not at start: most endpoints have no limit,
and a start (or a suite with limits off) never needs it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from .. import errors
from ..models import RateLimitSetting, Tenant

if TYPE_CHECKING:
    from limits.storage import Storage
    from limits.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class Limit:
    """Calls per minute allowed per item and per client, with the codes the limits answer with."""

    per_item: int | None
    per_client: int | None
    item_code: str = "RATE_LIMIT"
    client_code: str = "RATE_LIMIT"


# Each dialect's limits by endpoint, added when the dialect is imported (``add_rate_limits``):
# the core never names a dialect's paths.
LIMITS: dict[str, dict[str, Limit]] = {}
# Every dialect's limits as one table, and every code they answer with (a fault rule may inject
# any of them): both made anew when a dialect adds its limits, not worked out on each call.
_every: dict[str, Limit] = {}
CODES: frozenset[str] = frozenset()
# The counting window: an injected limit asks to retry after a whole one.
WINDOW_SECONDS = 60


def add_rate_limits(dialect: str, limits: Mapping[str, Limit]) -> None:
    """Count calls to ``dialect``'s endpoints (the keys of ``limits``) against their limits;
    an endpoint another dialect limits already is refused (one path, one limit)."""
    global _every, CODES
    taken = {path for other, own in LIMITS.items() if other != dialect for path in own}
    if clash := sorted(taken & set(limits)):
        raise ValueError(f"{dialect}: {clash[0]} has a limit of another dialect's")
    LIMITS[dialect] = dict(limits)
    _every = {path: limit for own in LIMITS.values() for path, limit in own.items()}
    CODES = frozenset(
        code
        for own in LIMITS.values()
        for limit in own.values()
        for code in (limit.item_code, limit.client_code)
    )


class RateLimiter:
    """A moving one-minute window per (tenant, endpoint, item) and (tenant, endpoint)."""

    def __init__(self, storage_url: str | None = None) -> None:
        self._storage_url = storage_url
        self._opened: tuple[Storage, MovingWindowRateLimiter] | None = None
        self._opening = threading.Lock()  # one store per limiter, however many threads ask

    @property
    def storage(self) -> Storage:
        """The counters' store, opened (and ``limits`` imported) at first use."""
        return self._open()[0]

    def _open(self) -> tuple[Storage, MovingWindowRateLimiter]:
        opened = self._opened
        if opened is None:
            with self._opening:
                if self._opened is None:
                    from limits.storage import MemoryStorage, Storage, storage_from_string
                    from limits.strategies import MovingWindowRateLimiter

                    url = self._storage_url
                    storage = storage_from_string(url) if url else MemoryStorage()
                    if not isinstance(storage, Storage):
                        raise ValueError(f"not a synchronous limits storage: {url}")
                    self._opened = (storage, MovingWindowRateLimiter(storage))
                opened = self._opened
        return opened

    def hit(self, namespace: str, endpoint: str, item_id: str | None, limit: Limit) -> None:
        """Count one call; ``RateLimited`` (with ``retry_after`` seconds) when over budget."""
        checks: list[tuple[int, str, tuple[str, ...]]] = []
        if limit.per_item and item_id is not None:
            checks.append((limit.per_item, limit.item_code, (namespace, endpoint, item_id)))
        if limit.per_client:
            checks.append((limit.per_client, limit.client_code, (namespace, endpoint)))
        if not checks:
            return
        from limits import RateLimitItemPerMinute

        strategy = self._open()[1]
        for amount, code, key in checks:
            window = RateLimitItemPerMinute(amount)
            if not strategy.hit(window, *key):
                stats = strategy.get_window_stats(window, *key)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise errors.RateLimited(code=code, retry_after=retry_after, endpoint=endpoint)

    def reset(self) -> None:
        """Forget every counter (tests, ``/control/reset`` of a single-process sandbox)."""
        self.storage.reset()


def enabled(session: Session, tenant: Tenant, enabled_by_default: bool) -> bool:
    """Whether the tenant's limits are on: its own switch, else the server's default."""
    setting = session.get(RateLimitSetting, tenant.id)
    return enabled_by_default if setting is None else setting.enabled


def limits_for(session: Session, tenant: Tenant, enabled_by_default: bool) -> dict[str, Limit]:
    """The tenant's effective limits: the dialects' tables with its overrides, or none if off."""
    setting = session.get(RateLimitSetting, tenant.id)
    if setting is None:
        return effective(None, None, enabled_by_default)
    return effective(setting.enabled, setting.limits, enabled_by_default)


def effective(
    enabled: bool | None, overrides: Mapping[str, Any] | None, enabled_by_default: bool
) -> dict[str, Limit]:
    """The limits of a tenant whose setting is ``enabled`` and ``overrides`` (both None: it
    never configured any)."""
    if not (enabled_by_default if enabled is None else enabled):
        return {}
    table = dict(_every)
    for endpoint, override in (overrides or {}).items():
        base = table.get(endpoint, Limit(None, None))
        table[endpoint] = replace(
            base,
            per_item=override.get("per_item", base.per_item),
            per_client=override.get("per_client", base.per_client),
        )
    return table


def configure(
    session: Session, tenant: Tenant, enabled: bool, overrides: Mapping[str, Mapping[str, Any]]
) -> RateLimitSetting:
    """Store a tenant's switch and per-endpoint overrides (replacing earlier ones)."""
    for endpoint, override in overrides.items():
        if not endpoint.startswith("/"):
            raise errors.InvalidField("endpoints start with /", field=f"limits.{endpoint}")
        for key, value in override.items():
            if key not in ("per_item", "per_client"):
                raise errors.UnknownFields(
                    f"unknown limit field: {key}", field=f"limits.{endpoint}.{key}"
                )
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise errors.InvalidField(
                    f"{key} must be a positive integer or null", field=f"limits.{endpoint}.{key}"
                )
    setting = session.get(RateLimitSetting, tenant.id)
    if setting is None:
        setting = RateLimitSetting(tenant_id=tenant.id, enabled=enabled, limits={})
        session.add(setting)
    setting.enabled = enabled
    setting.limits = {e: dict(o) for e, o in overrides.items()}
    session.flush()
    return setting


def describe(limits: Mapping[str, Limit]) -> dict[str, dict[str, Any]]:
    """The effective table as JSON for the control API."""
    return {
        endpoint: {
            "per_item": limit.per_item,
            "per_client": limit.per_client,
            "item_code": limit.item_code,
            "client_code": limit.client_code,
        }
        for endpoint, limit in sorted(limits.items())
    }
