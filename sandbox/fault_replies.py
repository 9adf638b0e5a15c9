"""Acting on the fault gate's verdict in Flask: shared by every dialect's gate.

A dialect asks ``bank.faults.gate`` before its view runs and hands the verdict to
:func:`act`; :func:`finish` (an ``after_request`` hook) adds ``Retry-After`` and cuts a
truncated body short; :func:`log` (a ``teardown_request`` hook) writes the request-log row
after the reply's own commit or rollback. The dialect's error handler renders the errors.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from werkzeug.http import HTTP_STATUS_CODES

from .core.bank import Bank, Verdict
from .extensions import commit_work, current_session

FAULT = "sandbox.fault"
STATUS = "sandbox.fault_status"
RETRY_AFTER = "sandbox.retry_after"
TRUNCATE = "sandbox.truncate"


def act(verdict: Verdict, error_reply: Callable[[int], Response] | None = None) -> Response | None:
    """Commit the counters the verdict moved, then inject its fault (raise, reply or mark).

    A raw error status (4xx, 5xx) is answered by ``error_reply`` when the dialect gives one
    (TrueLayer: every error on its paths is in its envelope); otherwise, and for a 2xx or 3xx,
    by the plain reason phrase.
    """
    if verdict.counted:
        current_session().commit()  # otherwise it would only expire the loaded tenant and item
    decision = verdict.decision
    if decision is None:
        return None
    request.environ[FAULT] = verdict
    action = decision.action
    if action.latency_ms:
        _sleep_without_connection(action.latency_ms)
    if action.kind == "error" and decision.error is not None:
        if "retry_after" in decision.error.detail:
            request.environ[RETRY_AFTER] = decision.error.detail["retry_after"]
        raise decision.error
    if action.kind == "status" and action.http_status is not None:
        if error_reply is not None and action.http_status >= 400:
            return error_reply(action.http_status)
        return _plain_status(action.http_status)
    if action.kind == "drop":
        return _drop_connection()
    if action.kind == "truncate":
        request.environ[TRUNCATE] = True
    return None


def _plain_status(status: int) -> Response:
    """A raw status as a bare web server says it: the reason phrase as plain text (Plaid's raw
    faults stand for a proxy or load balancer failing in front of the API)."""
    text = f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown')}"
    return Response(text + "\n", status=status, mimetype="text/plain")


def _sleep_without_connection(latency_ms: int) -> None:
    """Injected latency, capped at ``FAULT_LATENCY_CAP_MS``, with no database connection held.

    Ending the transaction hands the connection back to the pool (the counters are already
    committed; the view reloads what it needs), so sleeping calls never starve the pool that
    other tenants' calls draw from.
    """
    commit_work(current_session())
    cap = int(current_app.config["FAULT_LATENCY_CAP_MS"])
    sleep: Callable[[float], Any] = current_app.config.get("FAULT_SLEEP") or time.sleep
    sleep(min(latency_ms, cap) / 1000)


def finish(response: Response) -> Response:
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


def log(bank: Callable[[], Bank]) -> None:
    """Record the injected fault of this request, if any (``bank`` is only called then)."""
    verdict: Verdict | None = request.environ.pop(FAULT, None)
    if verdict is None or verdict.decision is None:
        return
    found = bank()
    status = None if verdict.decision.action.kind == "drop" else request.environ.get(STATUS)
    if found.faults.record(verdict, status, found.now()):
        current_session().commit()


def _drop_connection() -> Response:
    """Close the client's socket without a reply (werkzeug and gunicorn expose it)."""
    sock = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        sock.shutdown(socket.SHUT_RDWR)  # the empty reply below never reaches the client
    # Without a socket (the Flask test client) the closest thing is an empty 500.
    return Response(b"", status=500)
