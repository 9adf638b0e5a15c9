"""The app's JSON API (`/api/v1`): providers, connections, accounts, transactions, sync runs.

Views parse, call `queries` (reads) or `AppService` (actions) for the signed-in user, and
serialise; `/openapi.json` documents every one of them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from marshmallow import Schema, fields, validate
from sqlalchemy import text

from client.app import queries
from client.app import serialize as out
from client.app.auth import check_password, csrf_token, current_user, sign_in
from client.app.errors import InvalidField, NotSignedIn
from client.app.params import (
    AccountQuery,
    Flag,
    SpendingQuery,
    load,
    no_query,
    transaction_filters,
)
from client.app.service import AppService, sync_state, sync_states
from client.store.db import Store

bp = Blueprint("api", __name__, url_prefix="/api/v1")
SPENDING_DAYS = 90


class SignInBody(Schema):
    """`POST /session`."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CompleteBody(Schema):
    """`POST /connections/complete`: Link's public token."""

    public_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ConnectionPatch(Schema):
    """`PATCH /connections/{id}`."""

    paused = Flag(required=True)


def service() -> AppService:
    """The app's service (built once by the factory)."""
    svc: AppService = current_app.extensions["bank_app"]
    return svc


def store() -> Store:
    """The client store."""
    return service().bank.store


def body(schema: Schema) -> dict[str, Any]:
    """The JSON body, checked; a missing or wrong field is a 400 naming it, and a body that is
    not a JSON object (an array, a number, nesting deeper than the parser goes) names the body."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    if data is None and not request.get_data(cache=True):
        data = {}
    if not isinstance(data, dict):
        raise InvalidField("body: must be a JSON object", field="body")
    return load(schema, data)


def healthz() -> Response:
    """200 once the app answers and its database does (compose's health check)."""
    with store().session() as session:
        session.execute(text("SELECT 1"))
    return jsonify(status="ok")


@bp.post("/session")
def session_create() -> tuple[Response, int]:
    """Sign in with a password; the cookie session then authenticates, with the CSRF token."""
    data = body(SignInBody())
    if not check_password(data["username"], data["password"]):
        raise NotSignedIn("wrong user name or password")
    sign_in(data["username"])
    return jsonify(user=data["username"], csrf_token=csrf_token()), 201


@bp.get("/me")
def me() -> Response:
    """The signed-in app user."""
    user = current_user()
    no_query()
    return jsonify(user=user)


@bp.get("/providers")
def providers() -> Response:
    """The providers this app connects through, with their institutions."""
    current_user()
    no_query()
    plaid = {
        "id": "plaid",
        "name": "Plaid",
        "connect": "hosted_link",
        "institutions": service().institutions(),
    }
    return jsonify(providers=[plaid])


@bp.get("/connections")
def connections_list() -> Response:
    """The user's connections with status, last sync, error, advice and sync state."""
    user = current_user()
    no_query()
    with store().session() as session:
        rows = queries.connections(session, user)
        states = sync_states(session, [c.id for c in rows])
        return jsonify(connections=[out.connection(c, states[c.id]) for c in rows])


@bp.post("/connections")
def connections_create() -> tuple[Response, int]:
    """Start connecting a bank: a hosted Link URL to send the user to."""
    link = service().start_link(current_user(), request.host_url)
    return jsonify(link_token=link.token, link_url=link.url), 201


@bp.post("/connections/complete")
def connections_complete() -> tuple[Response, int]:
    """Finish Link: exchange the public token; the first sync is queued. The connection
    answers with its `outcome`: `connected` (a new one: 201 Created, with its address),
    `relinked` (a disconnected connection of the same bank and login, linked again in place)
    or `duplicate` / `duplicate_login_required` (the user's linked connection of that login,
    kept as it was; the new Item was removed): 200, as nothing was created."""
    user = current_user()
    done = service().complete(user, body(CompleteBody())["public_token"])
    assert done.connection_id is not None
    reply = _connection(user, done.connection_id, outcome=done.outcome)
    if done.outcome != "connected":
        return reply, 200
    reply.headers["Location"] = url_for(".connection_get", connection_id=done.connection_id)
    return reply, 201


@bp.get("/connections/<int:connection_id>")
def connection_get(connection_id: int) -> Response:
    """One connection."""
    user = current_user()
    no_query()
    return _connection(user, connection_id)


@bp.patch("/connections/<int:connection_id>")
def connection_patch(connection_id: int) -> Response:
    """Pause or resume automatic syncs."""
    user = current_user()
    service().pause(user, connection_id, body(ConnectionPatch())["paused"])
    return _connection(user, connection_id)


@bp.delete("/connections/<int:connection_id>")
def connection_delete(connection_id: int) -> Response:
    """Disconnect: remove the Item at the provider and forget the token (history stays)."""
    user = current_user()
    service().disconnect(user, connection_id)
    return _connection(user, connection_id)


@bp.post("/connections/<int:connection_id>/sync")
def connection_sync(connection_id: int) -> tuple[Response, int]:
    """Sync now: queued for the worker; poll `GET .../sync` for its progress."""
    state = service().sync(current_user(), connection_id)
    return jsonify(out.sync(state)), 202


@bp.get("/connections/<int:connection_id>/sync")
def connection_sync_state(connection_id: int) -> Response:
    """The connection's sync: queued, running (pages and counts so far), done or failed."""
    user = current_user()
    no_query()
    with store().session() as session:
        queries.owned_connection(session, user, connection_id)
        return jsonify(out.sync(sync_state(session, connection_id)))


@bp.get("/connections/<int:connection_id>/sync-runs")
def connection_runs(connection_id: int) -> Response:
    """The connection's sync history, newest first."""
    user = current_user()
    no_query()
    with store().session() as session:
        queries.owned_connection(session, user, connection_id)
        return jsonify(sync_runs=[out.run(r) for r in queries.sync_runs(session, connection_id)])


@bp.post("/connections/<int:connection_id>/reconnect")
def connection_reconnect(connection_id: int) -> tuple[Response, int]:
    """A Link URL that repairs the connection (update mode) or links it again."""
    link = service().reconnect(current_user(), connection_id, request.host_url)
    return jsonify(link_token=link.token, link_url=link.url), 201


@bp.post("/connections/<int:connection_id>/repaired")
def connection_repaired(connection_id: int) -> Response:
    """After update mode: check with the provider, clear the error and catch up."""
    user = current_user()
    service().repaired(user, connection_id)
    return _connection(user, connection_id)


def _connection(user: str, connection_id: int, **extra: str) -> Response:
    with store().session() as session:
        conn = queries.owned_connection(session, user, connection_id)
        return jsonify({**out.connection(conn, sync_state(session, connection_id)), **extra})


@bp.get("/accounts")
def accounts_list() -> Response:
    """The user's accounts with balances (filters: connection_id, type, institution_id)."""
    user = current_user()
    filters = load(AccountQuery(), request.args)
    with store().session() as session:
        rows = queries.accounts(session, user, **filters)
        return jsonify(accounts=[out.account(a) for a in rows])


@bp.get("/accounts/<int:account_id>")
def account_get(account_id: int) -> Response:
    """One account: balances, limits, the last full month's statement, balance history."""
    user = current_user()
    no_query()
    with store().session() as session:
        acc = queries.owned_account(session, user, account_id)
        return jsonify(
            {
                **out.account(acc),
                "limits": out.limits(acc),
                "statement": out.statement(queries.statement(session, acc)),
                "balance_history": out.history(queries.balance_history(session, acc)),
            }
        )


@bp.get("/accounts/<int:account_id>/transactions")
def account_transactions(account_id: int) -> Response:
    """The account's transactions: the same filters, sort and cursors as `/transactions`."""
    user = current_user()
    with store().session() as session:
        queries.owned_account(session, user, account_id)
    return _transactions(user, account_id=account_id)


@bp.get("/transactions")
def transactions_list() -> Response:
    """Transactions across the user's accounts, filtered, sorted and paged by cursor."""
    return _transactions(current_user())


def _transactions(user: str, **fixed: Any) -> Response:
    filters = transaction_filters(request.args, **fixed)
    with store().session() as session:
        page = queries.transactions_page(session, user, filters)
    return jsonify(
        transactions=[out.transaction(t) for t in page.items],
        pagination={
            "limit": filters.limit,
            "total": page.total,
            "has_more": page.has_more,
            "next_cursor": page.next_cursor,
        },
        sort={"by": filters.sort, "order": filters.order},
    )


@bp.get("/categories")
def categories_list() -> Response:
    """Categories to filter by (top-level built-ins and the user's own)."""
    user = current_user()
    no_query()
    with store().session() as session:
        rows = queries.categories(session, user)
        return jsonify(
            categories=[
                {"key": c.key, "name": c.name, "kind": c.kind, "colour": c.colour} for c in rows
            ]
        )


@bp.get("/spending")
def spending() -> Response:
    """Money out by top-level category over a period (default: the last 90 days)."""
    user = current_user()
    args = load(SpendingQuery(), request.args)
    end = args["end_date"]
    # the default period reaches back 90 days, though never before the first day there is
    start = args.get("start_date") or end - min(dt.timedelta(SPENDING_DAYS), end - dt.date.min)
    with store().session() as session:
        rows = queries.spending(session, user, start, end, args.get("account_id"))
    return jsonify(
        start_date=start.isoformat(),
        end_date=end.isoformat(),
        categories=[{**r, "total": out.money(r["total"])} for r in rows],
    )
