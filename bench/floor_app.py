"""The stack's floor: ``/accounts/balance/get`` as the least a Flask + Flask-SQLAlchemy +
marshmallow app can do and still answer it from the database.

``bench_floor`` serves it beside the sandbox and ``bare_app`` under the same gunicorn
settings. Per request it pays what any implementation on the project's core packages pays:
Flask's request handling, a Flask-SQLAlchemy session, a marshmallow load of the body, a
keyed hash of the access token, one SQL statement (token, item and accounts joined) and a
JSON reply of the same shape. It leaves out everything else the sandbox does: API keys and
tenants, the fault gate, body screening, the clock's catch-up, security headers. The
sandbox's ratio to bare Flask can hardly beat this one's.

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
from typing import Any

from flask import Flask, Response, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields
from sqlalchemy import text

HASH_KEY = secrets.token_bytes(32)
PRODUCTS = ("assets", "auth", "balance", "identity", "investments", "liabilities", "signal")
READ = text(
    "SELECT a.id, a.name, a.official_name, a.mask, a.type, a.subtype, a.currency,"
    " a.current_minor, a.available_minor, a.limit_minor,"
    " i.id, i.institution_id, i.webhook, i.products"
    " FROM access_tokens t JOIN items i ON i.pk = t.item_pk JOIN accounts a ON a.item_pk = i.pk"
    " WHERE t.token = :digest AND t.revoked_at IS NULL ORDER BY a.ordinal"
)


class _Options(Schema):
    account_ids = fields.List(fields.String())


class _BalanceRequest(Schema):
    access_token = fields.String(required=True)
    options = fields.Nested(_Options)


def _money(minor: int | None) -> float | None:
    return None if minor is None else minor / 100


def create_app(database_url: str, digest: str) -> Flask:
    """The floor app over ``database_url``, answering for the token stored as ``digest``."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    db = SQLAlchemy(app)
    schema = _BalanceRequest()

    @app.post("/accounts/balance/get")
    def balance() -> Response:
        body = schema.load(request.get_json())
        hmac.new(HASH_KEY, body["access_token"].encode(), hashlib.sha256).hexdigest()
        rows = db.session.execute(READ, {"digest": digest}).all()
        first = rows[0]
        products = first[13] if isinstance(first[13], list) else json.loads(first[13])
        item: dict[str, Any] = {
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
        accounts = [
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
        return jsonify(accounts=accounts, item=item, request_id=secrets.token_hex(8))

    return app


def _from_environment() -> Flask | None:
    url, digest = os.environ.get("DATABASE_URL"), os.environ.get("FLOOR_TOKEN_DIGEST")
    return create_app(url, digest) if url and digest else None


app = _from_environment()
