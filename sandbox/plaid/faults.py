"""The Plaid dialect's fault gate: every authenticated call asks ``core.fault_rules`` first.

Runs after ``auth`` has bound the tenant, so no view has to remember to. Rate limits,
institution outages, stored rules and the one-off ``Sandbox-Fault`` header all come
out as a ``Decision``: an error (rendered by ``plaid/errors.py``, plus ``Retry-After``
for rate limits), a raw HTTP status, added latency, a dropped connection or a truncated
body. The counters a decision bumps are committed at once, so an error reply (which
rolls the request back) cannot replay the same call index; the request-log row is
written after the reply, with its status.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, request
from sqlalchemy import select
from werkzeug.http import HTTP_STATUS_CODES

from ..core import fault_rules, faults, ratelimits, tokens
from ..core.fault_rules import Decision
from ..core.models import AccessToken, Item, Tenant
from ..extensions import current_session
from . import auth, bp

FAULT = "sandbox.fault"
STATUS = "sandbox.fault_status"
RETRY_AFTER = "sandbox.retry_after"
TRUNCATE = "sandbox.truncate"


@bp.before_request
def inject_faults() -> Response | None:
    """Ask the gate about this call and act on its decision before the view runs."""
    if request.path in auth.UNAUTHENTICATED:
        return None
    tenant: Tenant = g.tenant
    session = current_session()
    ctx = _context(tenant)
    config = current_app.config
    decision = fault_rules.evaluate(
        session,
        tenant,
        ctx,
        auth.current_bank().now(),
        header=request.headers.get("Sandbox-Fault"),
        limiter=limiter(current_app),
        limits=ratelimits.limits_for(session, tenant, config["RATE_LIMITS"] != "off"),
    )
    if fault_rules.bumped(session):
        session.commit()  # committing otherwise would only expire the loaded tenant and item
    if decision is None:
        return None
    request.environ[FAULT] = (tenant.id, ctx, decision)
    return _act(decision)


def _act(decision: Decision) -> Response | None:
    action = decision.action
    if action.latency_ms:
        _sleep_without_connection(action.latency_ms)
    if action.kind == "error" and decision.error is not None:
        if "retry_after" in decision.error.detail:
            request.environ[RETRY_AFTER] = decision.error.detail["retry_after"]
        raise decision.error
    if action.kind == "status" and action.http_status is not None:
        text = f"{action.http_status} {HTTP_STATUS_CODES.get(action.http_status, 'Unknown')}"
        return Response(text + "\n", status=action.http_status, mimetype="text/plain")
    if action.kind == "drop":
        return _drop_connection()
    if action.kind == "truncate":
        request.environ[TRUNCATE] = True
    return None


def _sleep_without_connection(latency_ms: int) -> None:
    """Injected latency, capped at ``FAULT_LATENCY_CAP_MS``, with no database connection held.

    Ending the transaction hands the connection back to the pool (the counters are already
    committed; the view reloads what it needs), so sleeping calls never starve the pool that
    other tenants' calls draw from.
    """
    current_session().commit()
    cap = int(current_app.config["FAULT_LATENCY_CAP_MS"])
    sleep: Callable[[float], Any] = current_app.config.get("FAULT_SLEEP") or time.sleep
    sleep(min(latency_ms, cap) / 1000)


@bp.after_request
def finish_fault(response: Response) -> Response:
    """Add ``Retry-After``, cut a truncated body short, and note the status for the log."""
    environ = request.environ
    if RETRY_AFTER in environ:
        response.headers["Retry-After"] = str(environ[RETRY_AFTER])
    if environ.get(TRUNCATE):
        data = response.get_data()
        response.set_data(data[: len(data) // 2])
        # The header promises the whole body; the connection closes after half of it.
        response.headers["Content-Length"] = str(len(data))
        response.headers["Connection"] = "close"
    environ[STATUS] = response.status_code
    return response


@bp.teardown_request
def log_fault(_exc: BaseException | None) -> None:
    """Record the injected fault (after the reply's own commit or rollback)."""
    fault = request.environ.pop(FAULT, None)
    if fault is None:
        return
    tenant_id, ctx, decision = fault
    session = current_session()
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        return
    status = None if decision.action.kind == "drop" else request.environ.get(STATUS)
    now = auth.current_bank().now()
    fault_rules.record(session, tenant, ctx, decision, status, now)
    session.commit()


def limiter(app: Flask) -> ratelimits.RateLimiter:
    """The app's rate limiter (memory, or the store ``RATELIMIT_STORAGE_URL`` names)."""
    found = app.extensions.get("sandbox.ratelimiter")
    if found is None:
        found = ratelimits.RateLimiter(app.config.get("RATELIMIT_STORAGE_URL"))
        found = app.extensions.setdefault("sandbox.ratelimiter", found)
    assert isinstance(found, ratelimits.RateLimiter)
    return found


def _context(tenant: Tenant) -> faults.Context:
    """The endpoint, and the item and institution the body names (if they are the tenant's)."""
    body = auth.body()
    item = None
    token = body.get("access_token")
    if isinstance(token, str) and token:
        found = (
            current_session()
            .execute(
                select(AccessToken, Item)
                .join(Item, Item.pk == AccessToken.item_pk)
                .where(AccessToken.token == tokens.at_rest(current_session(), token))
            )
            .first()
        )
        # The session holds loaded objects weakly: keeping them saves the view reloading them.
        g.fault_context_rows = found
        item = found[1] if found is not None and found[1].tenant_id == tenant.id else None
    institution = body.get("institution_id")
    return faults.Context(
        endpoint=request.path,
        dialect="plaid",
        item_id=item.id if item is not None else None,
        institution_id=item.institution_id
        if item is not None
        else (institution if isinstance(institution, str) else None),
    )


def _drop_connection() -> Response:
    """Close the client's socket without a reply (werkzeug and gunicorn expose it)."""
    sock = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        sock.shutdown(socket.SHUT_RDWR)  # the empty reply below never reaches the client
    # Without a socket (the Flask test client) the closest thing is an empty 500.
    return Response(b"", status=500)
