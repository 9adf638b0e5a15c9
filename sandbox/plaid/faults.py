"""The Plaid dialect's fault gate: every authenticated call asks ``bank.faults.gate`` first.

Runs after ``auth`` has bound the tenant, so no view has to remember to. Institution
outages, stored rules and the one-off ``Sandbox-Fault`` header all come
out as a ``Decision``: an error (rendered by ``plaid/errors.py``), a raw HTTP status, added
latency, a dropped connection or a truncated body (``sandbox.fault_replies`` acts on it, for
every dialect). The counters a verdict moved are committed at once, so an error reply (which
rolls the request back) cannot replay the same call index; the request-log row is written
after the reply, with its status.

Rate limits count only the calls Plaid accepts: ``count_call`` runs once the view's schema has
found the body well-formed (``views.load``), so a call refused as ``INVALID_REQUEST`` (a
missing, unknown or mistyped field) costs nothing, and answers so even over the limit; over
it, a well-formed call is a 429 with ``Retry-After``. Which endpoints an institution outage
breaks is declared to the core here; Plaid's rate limits, in ``ratelimits.py``.
"""

from __future__ import annotations

from flask import Request, Response, current_app, g

from .. import fault_replies
from ..application import this_request
from ..core.bank import Call, add_outage_endpoints
from ..extensions import rate_limiter
from . import auth
from .blueprint import bp

# The calls an institution outage breaks: data pulls and item creation, not item management.
add_outage_endpoints(
    "plaid",
    [
        "/accounts/*",
        "/auth/get",
        "/identity/get",
        "/identity/refresh",
        "/liabilities/get",
        "/investments/*",
        "/transactions/*",
        "/sandbox/public_token/create",
    ],
)


@bp.before_request
def inject_faults() -> Response | None:
    """Ask the gate about this call and act on its decision before the view runs."""
    req = this_request()
    if req.path in auth.UNAUTHENTICATED:
        return None
    bank = auth.current_bank()
    g.plaid_uncounted_call = call = _call(req)
    return fault_replies.act(bank.faults.gate(call, bank.now(), None, _limits_on()))


def count_call() -> None:
    """Count the call against its rate limits, once (the view has found its body
    well-formed); over a limit, raise the 429."""
    call: Call | None = g.pop("plaid_uncounted_call", None)
    if call is None:  # a public endpoint, or counted already
        return
    verdict = auth.current_bank().faults.count(call, rate_limiter(current_app), _limits_on())
    fault_replies.act(verdict)


def _limits_on() -> bool:
    return str(current_app.config["RATE_LIMITS"]) != "off"


@bp.after_request
def finish_fault(response: Response) -> Response:
    """Add ``Retry-After``, cut a truncated body short, and note the status for the log."""
    return fault_replies.finish(response)


@bp.teardown_request
def log_fault(_exc: BaseException | None) -> None:
    """Record the injected fault (after the reply's own commit or rollback)."""
    fault_replies.log(auth.current_bank)


def _call(req: Request) -> Call:
    """The call as the gate needs it: endpoint, access token, institution, one-off header."""
    body = auth.body()
    token, institution = body.get("access_token"), body.get("institution_id")
    return Call(
        endpoint=req.path,
        dialect="plaid",
        access_token=token if isinstance(token, str) and token else None,
        institution_id=institution if isinstance(institution, str) else None,
        header=req.headers.get("Sandbox-Fault"),
    )
