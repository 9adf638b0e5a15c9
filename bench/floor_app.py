"""The stack's floor: ``/accounts/balance/get`` and ``/transactions/sync`` as the least a
Flask + SQLAlchemy + marshmallow app can do and still answer them from the database.

``bench_floor`` serves it beside the sandbox and ``bare_app`` under the same gunicorn
settings. Per request it pays what any implementation on the project's core packages pays:
Flask's request handling, a marshmallow load of the body, a keyed hash of the access token,
one SQL statement (token, item and accounts joined) on a connection from SQLAlchemy's pool,
run on the driver's cursor outside any transaction (the cheapest read those packages allow;
the sandbox's hot reads run so too, ``sandbox.core.prepared``), and a JSON reply of the same
shape. It leaves out everything else the sandbox does: API keys and tenants, the fault gate,
body screening, the clock's catch-up, security headers. The sandbox's ratio to bare Flask
can hardly beat this one's, but for its read cache (``sandbox.core.read_cache``): a call
repeated while nothing commits is answered without reading, which the floor never does.

``/transactions/sync`` (the first page of ``count`` rows, and the accounts Transactions
covers) adds one statement for the page's rows and renders them as the sandbox does, with
its renderer and its cache keyed by the row (``sandbox.plaid.transaction_json``): a page
read again is bytes joined, which no implementation can undercut. No cursor is decoded and
no change-log bookkeeping done.

``DATABASE_URL`` names a database the sandbox linked an item in; ``FLOOR_TOKEN_DIGEST`` is
what it stores of that item's access token (its keyed hash): the floor does the hashing's
work but cannot know the sandbox's key, so it looks up the stored value.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Sequence
from typing import Any

import orjson
import sqlalchemy
from flask import Flask, Response, jsonify, request
from marshmallow import Schema, fields
from sqlalchemy import TextClause, text
from sqlalchemy.engine import Compiled

from sandbox.core.ledger.model import has_transactions
from sandbox.plaid import transaction_json

HASH_KEY = secrets.token_bytes(32)
PRODUCTS = ("assets", "auth", "balance", "identity", "investments", "liabilities", "signal")
READ = text(
    "SELECT a.id, a.name, a.official_name, a.mask, a.type, a.subtype, a.currency,"
    " a.current_minor, a.available_minor, a.limit_minor,"
    " i.id, i.institution_id, i.webhook, i.products, i.pk"
    " FROM access_tokens t JOIN items i ON i.pk = t.item_pk JOIN accounts a ON a.item_pk = i.pk"
    " WHERE t.token = :digest AND t.revoked_at IS NULL ORDER BY a.ordinal"
)

# The columns a reply renders (``sandbox.core.sync.RENDERED``, in its order), as stored.
PAGE = text(
    "SELECT id, account_id, amount_minor, currency, date, authorized_date, name, merchant_name,"
    " category, payment_channel, pending, pending_transaction_id, CAST(details AS TEXT)"
    " FROM transactions WHERE item_pk = :item_pk AND NOT removed"
    " ORDER BY updated_seq LIMIT :limit"
)


class _Options(Schema):
    account_ids = fields.List(fields.String())


class _BalanceRequest(Schema):
    access_token = fields.String(required=True)
    options = fields.Nested(_Options)


class _SyncRequest(Schema):
    access_token = fields.String(required=True)
    cursor = fields.String(load_default="")
    count = fields.Integer(load_default=100)
    options = fields.Dict()


def _money(minor: int | None) -> float | None:
    return None if minor is None else minor / 100


def _item(first: Any) -> dict[str, Any]:
    """Plaid's ``Item`` from the read's first row."""
    products = first[13] if isinstance(first[13], list) else json.loads(first[13])
    return {
        "item_id": first[10],
        "institution_id": first[11],
        "webhook": first[12],
        "error": None,
        "available_products": sorted(set(PRODUCTS) - set(products)),
        "billed_products": products,
        "products": products,
        "consented_products": products,
        "consent_expiration_time": None,
        "update_type": "background",
        "auth_method": None,
    }


def _accounts(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Plaid's ``AccountBase`` of each row of the read."""
    return [
        {
            "account_id": r[0],
            "balances": {
                "available": _money(r[8]),
                "current": _money(r[7]),
                "limit": _money(r[9]),
                "iso_currency_code": r[6],
                "unofficial_currency_code": None,
            },
            "mask": r[3],
            "name": r[1],
            "official_name": r[2],
            "type": r[4],
            "subtype": r[5],
            "holder_category": "personal",
        }
        for r in rows
    ]


class _Reads:
    """Statements run on the driver's cursor of a pooled connection, in autocommit (each
    statement its own snapshot: no ``BEGIN`` or ``ROLLBACK`` round trip on PostgreSQL)."""

    def __init__(self, database_url: str) -> None:
        self.engine = sqlalchemy.create_engine(database_url)
        if self.engine.dialect.name == "postgresql":
            sqlalchemy.event.listen(self.engine, "connect", _autocommit)
        self._compiled: dict[str, Compiled] = {}  # by SQL text: compiled once, not per call

    def run(self, statement: TextClause, params: dict[str, Any]) -> list[Any]:
        """The rows of ``statement``, compiled for this database's driver."""
        compiled = self._compiled.get(statement.text)
        if compiled is None:
            compiled = self._compiled[statement.text] = statement.compile(
                dialect=self.engine.dialect
            )
        order = compiled.positiontup
        arguments = [params[name] for name in order] if order else params
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(compiled.string, arguments)
            return list(cursor.fetchall())
        finally:
            connection.close()


def _autocommit(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.autocommit = True


def create_app(database_url: str, digest: str) -> Flask:
    """The floor app over ``database_url``, answering for the token stored as ``digest``."""
    app = Flask(__name__)
    reads = app.extensions["floor_reads"] = _Reads(database_url)
    balance_schema, sync_schema = _BalanceRequest(), _SyncRequest()

    def read(body: dict[str, Any]) -> Sequence[Any]:
        """The token's keyed hash, then its item and accounts in one statement."""
        hmac.new(HASH_KEY, body["access_token"].encode(), hashlib.sha256).hexdigest()
        return reads.run(READ, {"digest": digest})

    @app.post("/accounts/balance/get")
    def balance() -> Response:
        rows = read(balance_schema.load(request.get_json()))
        return jsonify(
            accounts=_accounts(rows), item=_item(rows[0]), request_id=secrets.token_hex(8)
        )

    @app.post("/transactions/sync")
    def sync() -> Response:
        body = sync_schema.load(request.get_json())
        rows = read(body)
        count = body["count"]
        page = reads.run(PAGE, {"item_pk": rows[0][14], "limit": count + 1})
        options = transaction_json.options_of(body.get("options") or {})
        reply = {
            "added": transaction_json.array(page[:count], *options),
            "modified": [],
            "removed": [],
            "next_cursor": secrets.token_urlsafe(24),
            "has_more": len(page) > count,
            "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE",
            "accounts": _accounts([r for r in rows if has_transactions(r[4], r[5])]),
            "request_id": secrets.token_hex(8),
        }
        return Response(orjson.dumps(reply), mimetype="application/json")

    return app


def _from_environment() -> Flask | None:
    url, digest = os.environ.get("DATABASE_URL"), os.environ.get("FLOOR_TOKEN_DIGEST")
    return create_app(url, digest) if url and digest else None


app = _from_environment()
