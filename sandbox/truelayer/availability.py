"""A provider's ``availability`` in ``/api/providers``, read off the sandbox's institution health.

TrueLayer's examples give every provider ``{"recommended_status": "healthy", "updated_at":
...}``. The sandbox says ``healthy`` for a ``HEALTHY`` institution and ``unhealthy`` for a
``DEGRADED`` or ``DOWN`` one, so an app can see the outage it is about to meet. The list is
public: with ``clientId`` naming one of a tenant's apps it shows that tenant's overrides
(``PUT /control/institutions/<id>/health``), else the catalogue's status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ..core.bank import Bank, find_app_client
from ..core.errors import InvalidClient
from ..extensions import current_session, tenant_bank
from .providers import Provider
from .render import instant

# DIVERGES: TrueLayer's document shows only ``healthy``; ``unhealthy`` is the sandbox's word.
RECOMMENDED_STATUS = {"HEALTHY": "healthy", "DEGRADED": "unhealthy", "DOWN": "unhealthy"}
# When the catalogue's status took effect: a fixed moment, so the list is reproducible.
CATALOGUE_SINCE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

Availability = Callable[[Provider], dict[str, str]]


def reader(client_id: str | None) -> Availability:
    """The ``availability`` of each provider as the tenant of ``client_id`` sees it (the
    catalogue's when no known app is named: the list stays public, as TrueLayer's is)."""
    bank = _bank_of(client_id)

    def availability(provider: Provider) -> dict[str, str]:
        if bank is None:
            status, since = provider.institution.status, None
        else:
            status = bank.faults.health_of(provider.institution_id)
            since = bank.faults.health_changed_at(provider.institution_id)
        return {
            "recommended_status": RECOMMENDED_STATUS[status],
            "updated_at": instant(since or CATALOGUE_SINCE),
        }

    return availability


def _bank_of(client_id: str | None) -> Bank | None:
    if not client_id:
        return None
    try:
        client = find_app_client(current_session(), client_id)
    except InvalidClient:
        return None
    return tenant_bank(client.tenant)
