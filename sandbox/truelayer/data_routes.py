"""TrueLayer's Data API v1 (``/data/v1``): accounts, cards, balances, transactions and more.

Each view reads the connection through ``bank.reads`` and answers in TrueLayer's envelope
``{"results": [...], "status": "Succeeded"}`` (a single object is a one-element list), with
``X-TL-Correlation-Id`` and ``X-Credentials-Id``; with ``async=true`` the reply waits at
``/results/<task_id>`` (``async_calls``), a batch's at ``/batch/results/<task_id>``
(``batch``). ``/me`` and ``/connections/extend`` belong to the auth server's blueprint
(``/me`` with these headers too).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from ..core.bank import Booked
from ..core.errors import CoreError, InvalidField, NotFound
from ..core.models import Account
from . import batch, data_access, errors
from .auth_tokens import provider_object
from .batch import BatchRequest
from .data_access import current, dated, kept_reply, needs, unguarded
from .data_render import Renderer

data_bp = Blueprint("truelayer_data", __name__, url_prefix="/data/v1")
data_bp.register_error_handler(CoreError, errors.render)
data_access.install(data_bp)


@data_bp.after_request
def correlation_headers(response: Response) -> Response:
    """Every Data API reply, errors included, names the request and the connection."""
    return data_access.reply_headers(response, data_access.granted())


# Registered last, so it runs first: the 202 gets the headers above and any truncation.
data_bp.after_request(data_access.answer)


def _results(found: list[dict[str, Any]]) -> Response:
    return jsonify({"results": found, "status": "Succeeded"})


def _renderer() -> Renderer:
    access = current()
    institution = access.bank.institution_of(access.item)
    return Renderer(institution, provider_object(institution.institution_id), access.bank.now())


# -- identity and accounts ---------------------------------------------------------------


@data_bp.get("/info")
@needs("info")
def info() -> Response:
    """The account holder's identity."""
    access = current()
    return _results([_renderer().info(access.bank.reads.holder(access.item))])


@data_bp.get("/accounts")
@needs("accounts")
def accounts() -> Response:
    """Every current and savings account of the connection."""
    access = current()
    render = _renderer()
    return _results([render.account(a) for a in access.bank.reads.deposits(access.item)])


@data_bp.get("/accounts/<account_id>")
@needs("accounts")
def account(account_id: str) -> Response:
    """One account (404 ``account_not_found`` for an unknown id or a card's id)."""
    return _results([_renderer().account(_deposit(account_id))])


@data_bp.get("/accounts/<account_id>/balance")
@needs("accounts", "balance")
def account_balance(account_id: str) -> Response:
    """The account's available and current balance."""
    return _results([_renderer().balance(_deposit(account_id))])


@data_bp.get("/accounts/<account_id>/transactions")
@needs("accounts", "transactions")
@dated
def account_transactions(account_id: str) -> Response:
    """Settled transactions between ``from`` and ``to``, newest first, with running balances."""
    return _transactions(_deposit(account_id), pending=False, card=False)


@data_bp.get("/accounts/<account_id>/transactions/pending")
@needs("accounts", "transactions")
@dated
def account_pending_transactions(account_id: str) -> Response:
    """Pending transactions between ``from`` and ``to``."""
    return _transactions(_deposit(account_id), pending=True, card=False)


@data_bp.get("/accounts/<account_id>/standing_orders")
@needs("accounts", "standing_orders")
def account_standing_orders(account_id: str) -> Response:
    """The standing orders the account holder set up on the account."""
    access, render = current(), _renderer()
    orders = access.bank.reads.standing_orders(access.item, _deposit(account_id))
    return _results([render.standing_order(o) for o in orders])


@data_bp.get("/accounts/<account_id>/direct_debits")
@needs("accounts", "direct_debits")
def account_direct_debits(account_id: str) -> Response:
    """The direct debits payees collect from the account."""
    access, render = current(), _renderer()
    debits = access.bank.reads.direct_debits(access.item, _deposit(account_id))
    return _results([render.direct_debit(d) for d in debits])


# -- cards ---------------------------------------------------------------------------------


@data_bp.get("/cards")
@needs("cards")
def cards() -> Response:
    """Every credit card of the connection."""
    access, render = current(), _renderer()
    reads = access.bank.reads
    found = [reads.payment_card(access.item, c) for c in reads.cards(access.item)]
    return _results([render.card(c) for c in found])


@data_bp.get("/cards/<account_id>")
@needs("cards")
def card(account_id: str) -> Response:
    """One card (404 ``account_not_found`` for an unknown id or an account's id)."""
    access = current()
    found = access.bank.reads.payment_card(access.item, _card(account_id))
    return _results([_renderer().card(found)])


@data_bp.get("/cards/<account_id>/balance")
@needs("cards", "balance")
def card_balance(account_id: str) -> Response:
    """What the card owes, its limit and its last statement."""
    return _results([_card_balance(_renderer(), _card(account_id))])


@data_bp.get("/cards/<account_id>/transactions")
@needs("cards", "transactions")
@dated
def card_transactions(account_id: str) -> Response:
    """Settled card transactions between ``from`` and ``to`` (purchases positive)."""
    return _transactions(_card(account_id), pending=False, card=True)


@data_bp.get("/cards/<account_id>/transactions/pending")
@needs("cards", "transactions")
@dated
def card_pending_transactions(account_id: str) -> Response:
    """Pending card transactions between ``from`` and ``to``."""
    return _transactions(_card(account_id), pending=True, card=True)


@data_bp.post("/batch/transactions")
@needs("accounts", "transactions")
def batch_transactions() -> Response:
    """Every account's (and, with the ``cards`` scope, card's) transactions between ``from``
    and ``to``, pending ones and balances when asked: always answered later (``batch``)."""
    access, render, asked = current(), _renderer(), g.truelayer_batch
    reads = access.bank.reads
    window = reads.window(access.item, *access.days)
    cards = reads.cards(access.item) if "cards" in access.grant.scopes else []

    def entries(found: list[Account], *, card: bool) -> list[dict[str, Any]]:
        return [_batch_item(render, f, asked, window, card=card) for f in asked.chosen(found)]

    accounts = entries(reads.deposits(access.item), card=False)
    body = batch.results(g.truelayer_async.task_id, window, accounts, entries(cards, card=True))
    return jsonify(body)


@data_bp.get("/results/<task_id>")
@kept_reply
def results(task_id: str) -> Response:
    """An ``async=true`` call's reply, as the call would have answered (``async_calls``)."""
    return _kept(task_id)


@data_bp.get("/batch/results")
@data_bp.get("/batch/results/<task_id>")
@kept_reply
def batch_results(task_id: str | None = None) -> Response:
    """A batch's results, at the URI its 202 and webhook name (or with ``?task_id=``)."""
    found = task_id or request.args.get("task_id")
    if not found:
        raise InvalidField(
            "name the batch: GET the results_uri its reply and webhook give", field="task_id"
        )
    return _kept(found)


@data_bp.route("/<path:unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@unguarded
def unknown_endpoint(unknown: str) -> Response:
    """Any other path under ``/data/v1``: TrueLayer's 404 in TrueLayer's envelope."""
    raise NotFound(f"no Data API endpoint /data/v1/{unknown}", field="path")


# -- helpers -------------------------------------------------------------------------------


def _deposit(account_id: str) -> Account:
    access = current()
    return access.bank.reads.deposit(access.item, account_id)


def _card(account_id: str) -> Account:
    access = current()
    return access.bank.reads.card(access.item, account_id)


def _transactions(found: Account, *, pending: bool, card: bool) -> Response:
    access = current()
    window = access.bank.reads.window(access.item, *access.days)
    return _results(_listed(_renderer(), found, window, pending=pending, card=card))


def _listed(
    render: Renderer,
    found: Account,
    window: tuple[dt.date, dt.date],
    *,
    pending: bool,
    card: bool,
) -> list[dict[str, Any]]:
    """The account's or card's settled (or pending) transactions in ``window``, rendered."""
    access = current()
    reads = access.bank.reads
    rows: list[Booked] = (reads.pending if pending else reads.booked)(access.item, found, *window)
    return [render.transaction(b, reads.instruction_kind(b.row), card=card) for b in rows]


def _card_balance(render: Renderer, found: Account) -> dict[str, Any]:
    access = current()
    return render.card_balance(found, access.bank.reads.card_statement(access.item, found))


def _batch_item(
    render: Renderer,
    found: Account,
    asked: BatchRequest,
    window: tuple[dt.date, dt.date],
    *,
    card: bool,
) -> dict[str, Any]:
    """One account's or card's entry in a batch's results, each part as its own endpoint
    renders it."""
    item: dict[str, Any] = {
        "account_id": found.id,
        "transactions": _listed(render, found, window, pending=False, card=card),
    }
    if asked.pending:
        item["pending_transactions"] = _listed(render, found, window, pending=True, card=card)
    if asked.balance:
        item["balance"] = _card_balance(render, found) if card else render.balance(found)
    return item


def _kept(task_id: str) -> Response:
    """A task's kept reply, to the connection that made it."""
    grant, bank = g.truelayer_grant, g.truelayer_bank
    task = bank.tasks.result(task_id, grant.credentials_id)
    return Response(task.body, status=task.http_status, mimetype="application/json")
