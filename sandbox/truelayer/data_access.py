"""Who is calling the Data API, and may they: the bearer token, scopes, faults and quotas.

A ``before_request`` hook on the Data API blueprint resolves the bearer token to its grant
(the token alone finds the tenant), runs the tenant's fault gate for the connection, checks
the call's ``from``/``to``, counts it against its rate limits, reads the connection's item up
to the clock (the item's own error, such as a mock user's ``error.<code>``, surfaces here)
and counts the call against the bank's unattended quota unless ``X-PSU-IP`` says the user is
present. Views declare their scopes with :func:`needs` and the date range they read with
:func:`dated`, and read ``current()``. A call refused for its scopes or its parameters
(``validation_error``, ``invalid_date_range``) costs no rate limit and no unattended call: it
never reached the bank (as Plaid's dialect counts only well-formed calls).
An ``async=true`` call runs the same way; :func:`answer` then keeps its reply as a task and
answers 202 (``async_calls``); the results URI's view (:func:`kept_reply`) needs the token only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, request

from ..core import errors
from ..core.bank import Bank, Grant, request_uuid, resolve_access
from ..core.models import Item
from ..extensions import current_session, tenant_bank
from . import async_calls, batch, fault_gate
from .days import day_of

View = TypeVar("View", bound=Callable[..., Any])
Days = tuple[dt.date | None, dt.date | None]  # ``from`` and ``to`` as asked (None: open)
USER_PRESENT_HEADER = "X-PSU-IP"
FAULT_HEADER = "Sandbox-Fault"  # the one-off fault rule (README: Fault rules)
SCOPES = "truelayer_scopes"
DATED = "truelayer_dated"
OPEN = "truelayer_open"
KEPT = "truelayer_kept"


@dataclass(frozen=True)
class Access:
    """The request's grant, its tenant's bank and the connection's item (up to the clock)."""

    grant: Grant
    bank: Bank
    item: Item
    days: Days


def install(bp: Blueprint) -> None:
    """Run the access checks and the fault gate around every view of ``bp``."""
    bp.before_request(_authorise)
    fault_gate.install(bp)


def _authorise() -> Response | None:
    """Token, scopes, ``async`` (or a batch's body), fault gate, ``from``/``to``, rate limits,
    the item up to the clock, then the unattended quota (a kept reply at a results URI needs
    the token alone: no call reaches the bank)."""
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, OPEN, False):
        return None
    grant = g.truelayer_grant = bearer_grant()  # a refusal below still names the connection
    bank = g.truelayer_bank = tenant_bank(grant.tenant)
    if getattr(view, KEPT, False):
        return None
    asked = g.truelayer_batch = batch.asked()  # a batch's body (None on other routes)
    _check_scopes(grant, asked.scopes if asked is not None else ())
    g.truelayer_async = async_calls.requested(bank) if asked is None else batch.call(asked, bank)
    reply = _gate(bank, grant)
    if reply is not None:
        return reply
    g.truelayer_days = days = _days(view, asked)
    bank.reads.check_range(*days)  # a refused range costs no limit (an async one: its task)
    reply = fault_gate.count(bank, grant.item)
    if reply is not None:
        return reply
    g.truelayer_item = bank.read_item(grant.item)
    # The quota is a limit like the rate limits: switched off with them (tenant or server).
    if _unattended() and bank.faults.limits_enabled(fault_gate.limits_on()):
        bank.faults.count_unattended(g.truelayer_item, bank.now())
        current_session().commit()  # the bank counted the call, whatever the reply
    return None


def _gate(bank: Bank, grant: Grant) -> Response | None:
    """The fault gate for the connection. A ``Sandbox-Fault`` header it cannot read (or one
    naming an item the tenant lacks) is the caller's mistake, refused before the call reaches
    the bank: the immediate reply of an async call or batch too, as a synchronous call's (an
    injected error is the task's)."""
    try:
        return fault_gate.gate(bank, grant.item)
    except errors.InvalidField as exc:
        if str(exc.detail.get("field", "")).startswith(FAULT_HEADER):
            g.pop("truelayer_async", None)
        raise


def _days(view: Any, asked: batch.BatchRequest | None) -> Days:
    """The range the call reads: a batch's body, or a :func:`dated` view's ``from``/``to``
    (an unreadable date is ``invalid_date_range`` naming it); open on other views."""
    if asked is not None:
        return asked.start, asked.end
    if not getattr(view, DATED, False):
        return None, None
    return day_of("from", request.args.get("from")), day_of("to", request.args.get("to"))


def _unattended() -> bool:
    """Whether the call reads the bank with no user present. A HEAD reads nothing: it asks
    only for the headers a GET would carry, so it costs none of the bank's 4 daily reads
    (TrueLayer's documents are silent on HEAD; the quota counts reads of the bank)."""
    return request.method != "HEAD" and not request.headers.get(USER_PRESENT_HEADER)


def bearer_grant() -> Grant:
    """The grant behind the ``Authorization: Bearer`` header (the Data API's and the auth
    server's): without one, ``invalid_token`` says how to send it."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.TokenInvalid("send the access token as Authorization: Bearer <token>")
    return resolve_access(current_session(), token.strip())


def granted() -> Grant | None:
    """The request's grant, or None when the token was refused."""
    found: Grant | None = g.get("truelayer_grant")
    return found


def reply_headers(response: Response, grant: Grant | None) -> Response:
    """What every Data API reply carries, errors included: the request's correlation id, the
    JSON charset TrueLayer names, and the connection's credentials id when the token was good."""
    response.headers["X-TL-Correlation-Id"] = request_uuid()
    if response.mimetype == "application/json":
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    if grant is not None:
        response.headers["X-Credentials-Id"] = grant.credentials_id
    return response


def current() -> Access:
    """The access the request was granted (after ``_authorise`` ran)."""
    return Access(g.truelayer_grant, g.truelayer_bank, g.truelayer_item, g.truelayer_days)


def needs(*scopes: str) -> Callable[[View], View]:
    """Mark the scopes a view needs; ``_authorise`` refuses calls without them (403)."""

    def decorate(view: View) -> View:
        view.__dict__[SCOPES] = scopes  # kept by functools.wraps around the view
        return view

    return decorate


def dated(view: View) -> View:
    """Mark a view that reads between ``from`` and ``to`` (query parameters), checked before
    the call counts."""
    view.__dict__[DATED] = True
    return view


def unguarded(view: View) -> View:
    """Mark a view that answers before any token check (the unknown-path 404)."""
    view.__dict__[OPEN] = True
    return view


def kept_reply(view: View) -> View:
    """Mark a view that serves a reply kept earlier (a task's results): token only."""
    view.__dict__[KEPT] = True
    return view


def answer(response: Response) -> Response:
    """The reply of an ``async=true`` call: 202 with its task (a refusal of the token, scopes
    or ``async`` itself stays the immediate reply: no task was made)."""
    call: async_calls.AsyncCall | None = g.pop("truelayer_async", None)
    if call is None:
        return response
    return async_calls.answer_later(response, call, g.truelayer_grant, g.truelayer_bank)


def _check_scopes(grant: Grant, asked: tuple[str, ...]) -> None:
    """The view's scopes and those the request ``asked`` for (a batch's ``balance``)."""
    view = current_app.view_functions.get(request.endpoint or "")
    needed: tuple[str, ...] = getattr(view, SCOPES, ()) + asked
    missing = [s for s in needed if s not in grant.scopes]
    if missing:
        raise errors.ProductNotEnabled(
            f"the consent does not include the scope '{missing[0]}'", scope=missing[0]
        )
