"""Quotas on tenant creation in a shared sandbox: per client address, and in all.

On loopback only the machine's own user can create tenants, so nothing is counted there.
"""

from __future__ import annotations

from flask import current_app, request
from sqlalchemy import func, select

from ..core.bank import Limit
from ..core.errors import RateLimited
from ..core.models import Tenant
from ..extensions import current_session, rate_limiter
from ..shared import is_shared

CODE = "TENANT_CREATE_LIMIT"


def tenant_creation() -> None:
    """``RateLimited`` past ``TENANT_CREATE_PER_MINUTE`` per address or ``TENANT_LIMIT`` in all."""
    if not is_shared():
        return
    config = current_app.config
    per_minute = Limit(None, int(config["TENANT_CREATE_PER_MINUTE"]), CODE, CODE)
    rate_limiter(current_app).hit(f"address:{request.remote_addr}", request.path, None, per_minute)
    count = current_session().scalar(select(func.count()).select_from(Tenant)) or 0
    if count >= int(config["TENANT_LIMIT"]):
        raise RateLimited(
            f"this sandbox already holds {count} tenants (TENANT_LIMIT)", code=CODE, field="tenants"
        )
