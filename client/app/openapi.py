"""The API's OpenAPI 3.1 document, served at `/openapi.json`.

Built from small helpers rather than YAML in docstrings; tests/client/app/test_openapi.py
validates it and checks that every route of the API is in it and nothing else is.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from client.app.params import DIRECTIONS, MAX_LIMIT, ORDERS, SORTS, STATUSES

Json = dict[str, Any]
MONEY: Json = {"type": ["string", "null"], "pattern": r"^-?\d+\.\d{2,4}$"}
DATE: Json = {"type": "string", "format": "date"}
WHEN: Json = {"type": ["string", "null"], "format": "date-time"}
TEXT: Json = {"type": ["string", "null"]}
INT: Json = {"type": "integer"}


def ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: bool = True, **props: Json) -> Json:
    """A closed object; every property required unless told otherwise."""
    schema: Json = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = list(props)
    return schema


def array(item: Json) -> Json:
    return {"type": "array", "items": item}


def nullable(schema: Json) -> Json:
    return {"oneOf": [schema, {"type": "null"}]}


def query(name: str, schema: Json, text: str) -> Json:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": text}


def path_id(name: str) -> Json:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def op(
    summary: str, ok: Json, *, status: str = "200", also: dict[str, str] | None = None, **extra: Any
) -> Json:
    """One operation; every one may fail with the error object. `also`: other success
    statuses (with what they mean) answering the same schema."""
    responses: Json = {status: {"description": summary, "content": _json(ok)}}
    for code, text in (also or {}).items():
        responses[code] = {"description": text, "content": _json(ok)}
    for code in ("400", "401", "404"):
        responses[code] = {"description": "error", "content": _json(ref("Error"))}
    return {"summary": summary, "responses": responses, **extra}


def _json(schema: Json) -> Json:
    return {"application/json": {"schema": schema}}


def _body(schema: Json) -> Json:
    return {"required": True, "content": _json(schema)}


TRANSACTION_FILTERS = [
    query("start_date", DATE, "on or after this date"),
    query("end_date", DATE, "on or before this date"),
    query("category", {"type": "string"}, "a category key from /categories (and its children)"),
    query("status", {"enum": list(STATUSES)}, "pending or posted"),
    query("type", {"enum": list(DIRECTIONS)}, "debit (money out) or credit (money in)"),
    query("min_amount", {"type": "string"}, "size of the amount at least (debit or credit)"),
    query("max_amount", {"type": "string"}, "size of the amount at most"),
    query("search", {"type": "string"}, "text in the description, payee or notes"),
    query("sort", {"enum": list(SORTS), "default": "date"}, "date, or amount (its size)"),
    query("order", {"enum": list(ORDERS), "default": "desc"}, "ascending or descending"),
    query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50}, "page"),
    query("cursor", {"type": "string"}, "next_cursor of the previous page (same filters)"),
]

# A connection as the API shows it; completing Link adds what the completion did.
CONNECTION: Json = dict(
    id=INT,
    provider={"type": "string"},
    institution_id=TEXT,
    institution_name=TEXT,
    status={"enum": ["active", "login_required", "error", "disconnected"]},
    paused={"type": "boolean"},
    schedule={"type": "string"},
    last_sync_at=WHEN,
    last_success_at=WHEN,
    consent_expires_at=WHEN,
    created_at=WHEN,
    error=nullable(obj(code={"type": "string"}, message=TEXT, advice={"type": "string"})),
    action={"enum": ["reconnect", "retry", None]},
    sync=nullable(ref("SyncState")),
)

SCHEMAS: Json = {
    "Error": obj(
        error=obj(
            False,
            code={"type": "string"},
            message={"type": "string"},
            field={"type": "string"},
            provider_code=TEXT,
        )
    ),
    "SyncRun": obj(
        id=INT,
        connection_id=INT,
        trigger={"type": "string"},
        started_at=WHEN,
        finished_at=WHEN,
        pages=INT,
        added=INT,
        modified=INT,
        removed=INT,
        duration_seconds={"type": ["number", "null"]},
        error=nullable(obj(code={"type": "string"}, message=TEXT)),
    ),
    "SyncState": obj(
        state={"enum": ["idle", "queued", "running", "done", "failed"]},
        run=nullable(ref("SyncRun")),
    ),
    "Connection": obj(**CONNECTION),
    "Completion": obj(
        **CONNECTION,
        outcome={"enum": ["connected", "relinked", "duplicate", "duplicate_login_required"]},
    ),
    "LinkStart": obj(link_token={"type": "string"}, link_url=TEXT),
    "Balances": obj(current=MONEY, available=MONEY, limit=MONEY, as_of=WHEN),
    "Account": obj(
        id=INT,
        connection_id={"type": ["integer", "null"]},
        institution_id=TEXT,
        name={"type": "string"},
        official_name=TEXT,
        mask=TEXT,
        type={"type": "string"},
        subtype=TEXT,
        currency={"type": "string"},
        balances=ref("Balances"),
    ),
    "Transaction": obj(
        id=INT,
        account_id=INT,
        date=DATE,
        authorized_date={"type": ["string", "null"], "format": "date"},
        amount={**MONEY, "type": "string", "description": "negative: money out"},
        currency={"type": "string"},
        type={"enum": list(DIRECTIONS)},
        status={"enum": list(STATUSES)},
        description={"type": "string"},
        payee=TEXT,
        merchant_name=TEXT,
        category=TEXT,
        category_kind=TEXT,
        payment_channel=TEXT,
        notes=TEXT,
    ),
    "TransactionPage": obj(
        transactions=array(ref("Transaction")),
        pagination=obj(
            limit=INT,
            total=INT,
            has_more={"type": "boolean"},
            next_cursor=TEXT,
        ),
        sort=obj(by={"enum": list(SORTS)}, order={"enum": list(ORDERS)}),
    ),
}
SCHEMAS["AccountDetail"] = {
    "allOf": [
        ref("Account"),
        obj(
            False,
            limits=nullable(
                obj(credit_limit=MONEY, available_credit=MONEY, utilization_percent=TEXT)
            ),
            statement=nullable(
                obj(
                    period_start=DATE,
                    period_end=DATE,
                    opening_balance=MONEY,
                    closing_balance=MONEY,
                    money_in=MONEY,
                    money_out=MONEY,
                )
            ),
            balance_history=array(obj(date=DATE, balance=MONEY)),
        ),
    ]
}
CONNECTION_ID = [path_id("connection_id")]
ACCOUNT_ID = [path_id("account_id")]


def _paths() -> Json:
    institution = obj(
        id={"type": "string"},
        name={"type": "string"},
        oauth={"type": "boolean"},
        country_codes=array({"type": "string"}),
        products=array({"type": "string"}),
    )
    provider = obj(
        id={"type": "string"},
        name={"type": "string"},
        connect={"type": "string"},
        institutions=array(institution),
    )
    return {
        "/api/v1/session": {
            "post": op(
                "Sign in; the session cookie then authenticates (send X-CSRF-Token on changes)",
                obj(user={"type": "string"}, csrf_token={"type": "string"}),
                status="201",
                security=[],
                requestBody=_body(obj(username={"type": "string"}, password={"type": "string"})),
            )
        },
        "/api/v1/me": {"get": op("The signed-in app user", obj(user={"type": "string"}))},
        "/api/v1/providers": {
            "get": op("Providers and their institutions", obj(providers=array(provider)))
        },
        "/api/v1/connections": {
            "get": op(
                "The user's connections, each with its sync state: what the open connections "
                "page polls, one request for all of them",
                obj(connections=array(ref("Connection"))),
            ),
            "post": op("Start Link for a new bank", ref("LinkStart"), status="201"),
        },
        "/api/v1/connections/complete": {
            "post": op(
                "Exchange Link's public token; the first sync is queued. The connection's "
                "`outcome`: `connected` (a new one: 201, `Location` its address), "
                "`relinked` (a disconnected connection of the same bank and login, linked "
                "again in place: 200) or `duplicate` / `duplicate_login_required` (the "
                "user's linked connection of that login, kept; the new Item was removed: "
                "200)",
                ref("Completion"),
                status="201",
                also={
                    "200": "relinked: the connection, linked again in place; duplicate: the "
                    "connection that has the login already"
                },
                requestBody=_body(obj(public_token={"type": "string"})),
            )
        },
        "/api/v1/connections/{connection_id}": {
            "parameters": CONNECTION_ID,
            "get": op("One connection", ref("Connection")),
            "patch": op(
                "Pause or resume automatic syncs",
                ref("Connection"),
                requestBody=_body(obj(paused={"type": "boolean"})),
            ),
            "delete": op("Disconnect (the history stays)", ref("Connection")),
        },
        "/api/v1/connections/{connection_id}/sync": {
            "parameters": CONNECTION_ID,
            "get": op("Sync progress", ref("SyncState")),
            "post": op("Sync now (queued)", ref("SyncState"), status="202"),
        },
        "/api/v1/connections/{connection_id}/sync-runs": {
            "parameters": CONNECTION_ID,
            "get": op("Sync history, newest first", obj(sync_runs=array(ref("SyncRun")))),
        },
        "/api/v1/connections/{connection_id}/reconnect": {
            "parameters": CONNECTION_ID,
            "post": op("Link in update mode (or anew)", ref("LinkStart"), status="201"),
        },
        "/api/v1/connections/{connection_id}/repaired": {
            "parameters": CONNECTION_ID,
            "post": op("After update mode: check, clear the error, catch up", ref("Connection")),
        },
        "/api/v1/accounts": {
            "get": op(
                "The user's accounts",
                obj(accounts=array(ref("Account"))),
                parameters=[
                    query("connection_id", INT, "one connection's accounts"),
                    query("type", {"type": "string"}, "depository, credit, loan, investment"),
                    query("institution_id", {"type": "string"}, "one institution's accounts"),
                ],
            )
        },
        "/api/v1/accounts/{account_id}": {
            "parameters": ACCOUNT_ID,
            "get": op("Balances, limits, statement, balance history", ref("AccountDetail")),
        },
        "/api/v1/accounts/{account_id}/transactions": {
            "parameters": ACCOUNT_ID,
            "get": op(
                "The account's transactions", ref("TransactionPage"), parameters=TRANSACTION_FILTERS
            ),
        },
        "/api/v1/transactions": {
            "get": op(
                "Transactions across accounts",
                ref("TransactionPage"),
                parameters=[
                    query("account_id", INT, "one account"),
                    query("connection_id", INT, "one connection"),
                    *TRANSACTION_FILTERS,
                ],
            )
        },
        "/api/v1/categories": {
            "get": op(
                "Categories to filter by",
                obj(
                    categories=array(
                        obj(
                            key={"type": "string"},
                            name={"type": "string"},
                            kind={"type": "string"},
                            colour={"type": "string"},
                        )
                    )
                ),
            )
        },
        "/api/v1/spending": {
            "get": op(
                "Money out by top-level category (default: the last 90 days)",
                obj(
                    start_date=DATE,
                    end_date=DATE,
                    categories=array(
                        obj(
                            category=TEXT,
                            name={"type": "string"},
                            colour={"type": "string"},
                            total=MONEY,
                        )
                    ),
                ),
                parameters=[
                    query("start_date", DATE, "from"),
                    query("end_date", DATE, "to (default today)"),
                    query("account_id", INT, "one account"),
                ],
            )
        },
        "/webhooks/plaid": {
            "post": {
                "summary": "Plaid webhooks (verified by the Plaid-Verification JWT)",
                "security": [],
                "requestBody": _body({"type": "object"}),
                "responses": {
                    "200": {"description": "recorded", "content": _json({"type": "object"})},
                    "401": {"description": "verification failed"},
                },
            }
        },
    }


@cache
def spec() -> Json:
    """The whole document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "bank-client app API",
            "version": "1",
            "description": "Connections, accounts and transactions of the signed-in app user.",
        },
        "servers": [{"url": "/"}],
        "security": [{"basic": []}, {"cookie": []}],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "bank_app_session"},
            },
        },
    }
