"""The TrueLayer dialect's fault gate: Data API calls and the auth server's token endpoint.

Both ask ``bank.faults.gate`` once they know the tenant (the Data API from the bearer token,
the token endpoint from the client's credentials) and hand the verdict to
``sandbox.fault_replies``, which acts on it as for Plaid. A Data API call counts against its
rate limits only once its parameters are found valid (:func:`count`, as Plaid's dialect counts
only well-formed bodies): a call refused as ``validation_error`` or ``invalid_date_range``
costs nothing, nor does a token call refused as ``invalid_request`` for its fields. A raw
error status is answered in TrueLayer's envelope (the auth server's wording at the token
endpoint), not as plain text.

The gate runs nowhere else (not on the dialog, ``/api/*``, ``/data/v1/me``, connection
extension or an unknown path), so the paths it sees are declared to the core, which refuses
a ``truelayer`` fault rule that could never fire (``tests/api/truelayer`` checks the list
against the app's routes).
"""

from __future__ import annotations

from functools import partial

from flask import Blueprint, Response, current_app, g, request

from .. import fault_replies
from ..core import errors
from ..core.bank import Bank, Call, add_outage_endpoints
from ..core.models import Item
from ..extensions import rate_limiter
from .errors import status_reply

TOKEN_PATH = "/connect/token"
DATA_PATHS = tuple(
    "/data/v1" + path
    for path in (
        "/info",
        "/accounts",
        "/accounts/<account_id>",
        "/accounts/<account_id>/balance",
        "/accounts/<account_id>/transactions",
        "/accounts/<account_id>/transactions/pending",
        "/accounts/<account_id>/standing_orders",
        "/accounts/<account_id>/direct_debits",
        "/cards",
        "/cards/<account_id>",
        "/cards/<account_id>/balance",
        "/cards/<account_id>/transactions",
        "/cards/<account_id>/transactions/pending",
        "/batch/transactions",
    )
)
errors.add_gated_paths(
    "truelayer",
    errors.GatedPaths(
        of_connection=DATA_PATHS,
        before_connection=(TOKEN_PATH,),
        described=(
            "faults on TrueLayer apply to the Data API's endpoints (/data/v1/accounts…, "
            "/data/v1/cards…, /data/v1/info, /data/v1/batch/transactions; not /data/v1/me "
            "or /data/v1/connections/extend) "
            f"and {TOKEN_PATH}"
        ),
    ),
)

# An institution outage breaks every Data API call the gate sees (above).
add_outage_endpoints("truelayer", ["/data/v1/*"])


def install(bp: Blueprint) -> None:
    """Finish and log the faults the gate injects into ``bp``'s calls."""
    bp.after_request(fault_replies.finish)
    bp.teardown_request(lambda _exc: fault_replies.log(_bank))


def limits_on() -> bool:
    """Whether the server leaves rate limits (and the unattended quota) on."""
    return str(current_app.config["RATE_LIMITS"]) != "off"


def gate(bank: Bank, item: Item | None = None, *, auth: bool = False) -> Response | None:
    """Ask the tenant's gate about this call (of ``item``'s connection, when there is one) and
    act on its verdict: None lets the view run; an injected error is raised.

    The token endpoint (``auth``) is counted against its rate limits here, once its view has
    read the fields its grant type requires; a Data API call is not, until its parameters
    are found valid (:func:`count`)."""
    g.truelayer_fault_bank = bank
    limiter = rate_limiter(current_app) if auth else None
    verdict = bank.faults.gate(_call(item), bank.now(), limiter, limits_on())
    return fault_replies.act(verdict, partial(status_reply, auth=auth))


def count(bank: Bank, item: Item) -> Response | None:
    """Count a Data API call of ``item``'s connection against its rate limits (its parameters
    were found valid); over a limit, raise the 429."""
    verdict = bank.faults.count(_call(item), rate_limiter(current_app), limits_on())
    return fault_replies.act(verdict, partial(status_reply, auth=False))


def _call(item: Item | None) -> Call:
    """The call as the gate needs it: endpoint, connection, one-off header."""
    return Call(
        endpoint=request.path,
        dialect="truelayer",
        item=item,
        header=request.headers.get("Sandbox-Fault"),
    )


def _bank() -> Bank:
    """The bank the gate ran for (set before it ran, so any logged fault has one)."""
    bank: Bank = g.truelayer_fault_bank
    return bank
