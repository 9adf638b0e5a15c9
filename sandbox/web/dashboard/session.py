"""The signed-in dashboard tenant, and the post/redirect/get helpers every page uses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import flash, g, redirect, request, session, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ...core import errors
from ...core.bank import Bank
from ...core.models import Tenant
from ...extensions import current_session, tenant_bank
from .. import csrf
from ..forms import field_message

SESSION_KEY = "dashboard_tenant"
P = ParamSpec("P")
R = TypeVar("R")


def signed_in(view: Callable[P, R]) -> Callable[P, R | WerkzeugResponse]:
    """Run ``view`` with ``g.bank`` for the signed-in tenant; others go to the login page."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | WerkzeugResponse:
        tenant = _signed_in_tenant()
        if tenant is None:
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("web.dashboard_login", next=target), 303)
        if request.method == "POST":
            csrf.check()
        g.bank = tenant_bank(tenant)
        return view(*args, **kwargs)

    return wrapper


def sign_in(tenant: Tenant) -> None:
    """Remember the tenant in this browser, with the tenant's current sign-in generation."""
    session[SESSION_KEY] = {
        "id": tenant.id,
        "client_id": tenant.client_id,
        "generation": tenant.dashboard_generation,
    }


def sign_out() -> None:
    """Forget the tenant here and end every dashboard session of the tenant server-side.

    The session lives in a signed cookie, which a copy keeps valid: bumping the tenant's
    generation makes every cookie signed in before now (in any browser) stale.
    """
    tenant = _signed_in_tenant()
    session.pop(SESSION_KEY, None)
    if tenant is not None:
        tenant.dashboard_generation = Tenant.dashboard_generation + 1
        current_session().commit()


def _signed_in_tenant() -> Tenant | None:
    """The tenant this browser's session signed in as, if that sign-in still holds."""
    held = session.get(SESSION_KEY) or {}
    tenant = current_session().get(Tenant, held.get("id")) if held.get("id") else None
    if tenant is None or tenant.client_id != held.get("client_id"):
        return None
    return tenant if tenant.dashboard_generation == held.get("generation") else None


def bank() -> Bank:
    """The signed-in tenant's bank."""
    found: Bank = g.bank
    return found


def back(endpoint: str, **values: Any) -> WerkzeugResponse:
    """Post/redirect/get to a dashboard page."""
    return redirect(url_for(endpoint, **values), 303)


def attempt(action: Callable[[], str], place: str = "") -> None:
    """Run a core action and flash what happened, or the core's error naming its field once.

    ``place`` names the part of the page that says it (``"health"``: beside the health
    table a redirect to ``#health`` lands on); none: the page's top."""
    prefix = f"{place}-" if place else ""
    try:
        flash(action(), f"{prefix}ok")
    except errors.CoreError as exc:
        field = exc.detail.get("field")
        said = field_message(exc)
        flash(f"{field}: {said}" if field else said, f"{prefix}error")
