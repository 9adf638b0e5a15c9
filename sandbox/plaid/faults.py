"""The Plaid dialect's fault gate: every authenticated call asks ``bank.faults.gate`` first.

Runs after ``auth`` has bound the tenant, so no view has to remember to. Rate limits,
institution outages, stored rules and the one-off ``Sandbox-Fault`` header all come
out as a ``Decision``: an error (rendered by ``plaid/errors.py``, plus ``Retry-After``
for rate limits), a raw HTTP status, added latency, a dropped connection or a truncated
body. The counters a verdict moved are committed at once, so an error reply (which
rolls the request back) cannot replay the same call index; the request-log row is
written after the reply, with its status.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from werkzeug.http import HTTP_STATUS_CODES

from ..core.bank import Call, Decision, Verdict
from ..extensions import current_session, rate_limiter
from . import auth
from .blueprint import bp

FAULT = "sandbox.fault"
STATUS = "sandbox.fault_status"
RETRY_AFTER = "sandbox.retry_after"
TRUNCATE = "sandbox.truncate"


@bp.before_request
def inject_faults() -> Response | None:
    """Ask the gate about this call and act on its decision before the view runs."""
    if request.path in auth.UNAUTHENTICATED:
        return None
    bank = auth.current_bank()
    verdict = bank.faults.gate(
        _call(), bank.now(), rate_limiter(current_app), current_app.config["RATE_LIMITS"] != "off"
    )
    if verdict.counted:
        current_session().commit()  # otherwise it would only expire the loaded tenant and item
    if verdict.decision is None:
        return None
    request.environ[FAULT] = verdict
    return _act(verdict.decision)


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
    verdict: Verdict | None = request.environ.pop(FAULT, None)
    if verdict is None or verdict.decision is None:
        return
    bank = auth.current_bank()
    status = None if verdict.decision.action.kind == "drop" else request.environ.get(STATUS)
    if bank.faults.record(verdict, status, bank.now()):
        current_session().commit()


def _call() -> Call:
    """The call as the gate needs it: endpoint, access token, institution, one-off header."""
    body = auth.body()
    token, institution = body.get("access_token"), body.get("institution_id")
    return Call(
        endpoint=request.path,
        dialect="plaid",
        access_token=token if isinstance(token, str) and token else None,
        institution_id=institution if isinstance(institution, str) else None,
        header=request.headers.get("Sandbox-Fault"),
    )


def _drop_connection() -> Response:
    """Close the client's socket without a reply (werkzeug and gunicorn expose it)."""
    sock = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        sock.shutdown(socket.SHUT_RDWR)  # the empty reply below never reaches the client
    # Without a socket (the Flask test client) the closest thing is an empty 500.
    return Response(b"", status=500)
