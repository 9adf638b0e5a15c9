"""The TrueLayer dialect's fault gate: Data API calls and the auth server's token endpoint.

Both ask ``bank.faults.gate`` once they know the tenant (the Data API from the bearer token,
the token endpoint from the client's credentials) and hand the verdict to
``sandbox.fault_replies``, which acts on it as for Plaid. A raw error status is answered in
TrueLayer's envelope (the auth server's wording at the token endpoint), not as plain text.
"""

from __future__ import annotations

from functools import partial

from flask import Blueprint, Response, current_app, g, request

from .. import fault_replies
from ..core.bank import Bank, Call
from ..core.models import Item
from ..extensions import rate_limiter
from .errors import status_reply


def install(bp: Blueprint) -> None:
    """Finish and log the faults the gate injects into ``bp``'s calls."""
    bp.after_request(fault_replies.finish)
    bp.teardown_request(lambda _exc: fault_replies.log(_bank))


def limits_on() -> bool:
    """Whether the server leaves rate limits (and the unattended quota) on."""
    return str(current_app.config["RATE_LIMITS"]) != "off"


def gate(bank: Bank, item: Item | None = None, *, auth: bool = False) -> Response | None:
    """Ask the tenant's gate about this call (of ``item``'s connection, when there is one) and
    act on its verdict: None lets the view run; an injected error is raised."""
    g.truelayer_fault_bank = bank
    verdict = bank.faults.gate(
        Call(
            endpoint=request.path,
            dialect="truelayer",
            item=item,
            header=request.headers.get("Sandbox-Fault"),
        ),
        bank.now(),
        rate_limiter(current_app),
        limits_on(),
    )
    return fault_replies.act(verdict, partial(status_reply, auth=auth))


def _bank() -> Bank:
    """The bank the gate ran for (set before it ran, so any logged fault has one)."""
    bank: Bank = g.truelayer_fault_bank
    return bank
