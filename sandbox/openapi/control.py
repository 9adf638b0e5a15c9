"""Paths of the control API (``/control/**``): the sandbox's own endpoints, in OpenAPI 3.1.

Authenticated calls take a tenant's keys in ``PLAID-CLIENT-ID``/``PLAID-SECRET`` or as
HTTP Basic ``client_id:secret``; errors are ``ControlError`` objects.
"""

from __future__ import annotations

from typing import Any

from ..control.routes import OPEN_ENDPOINTS
from ..control.webhooks import MAX_LIMIT, STATUSES
from .control_schemas import closed_object, ref

Security = list[dict[str, list[str]]]
TENANT_KEYS: Security = [{"clientId": [], "secret": []}, {"basicAuth": []}]
# Open, but a shared sandbox (``sandbox.shared``) wants its admin token.
ADMIN_IN_SHARED_MODE: Security = [{}, {"adminToken": []}]


def _object(**properties: Any) -> dict[str, Any]:
    return closed_object(properties)


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


ERROR = {"description": "Bad input or keys", "content": _json(ref("ControlError"))}
BAD_INPUT = {"400": ERROR}
# An unknown id in a path, or one that is not a number (or beyond 64 bits), which matches no
# route: under /control that not-found reply is the control API's error object too.
MISSING = {
    **BAD_INPUT,
    "404": {
        "description": "No such id of the tenant's, or an id that is not a number",
        "content": _json(ref("ControlError")),
    },
}
SHARED_MODE_REFUSAL = {
    "401": {
        "description": "A shared sandbox refused: no admin token (or an unsigned webhook)",
        "content": _json(ref("ControlError")),
    }
}
TENANT_QUOTA = {
    "429": {
        "description": "A shared sandbox's tenant creation quota is used up",
        "content": _json(ref("ControlError")),
    }
}
UNAVAILABLE = {
    "503": {
        "description": "The database is unreachable or the seed catalogue cannot load",
        "content": _json(_object(status={"const": "error"}, error={"type": "string"})),
    }
}


def _op(
    endpoint: str,
    summary: str,
    reply: dict[str, Any],
    *,
    status: str = "200",
    errors: dict[str, Any] | None = None,
    security: Security | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One operation: ``reply`` is the success body's schema; ``errors`` default to a 400."""
    if security is None:
        security = [] if f"control.{endpoint}" in OPEN_ENDPOINTS else TENANT_KEYS
    return {
        "tags": ["control"],
        "operationId": f"control_{endpoint}",
        "summary": summary,
        "security": security,
        **extra,
        "responses": {
            status: {"description": summary, "content": _json(reply)},
            **(BAD_INPUT if errors is None else errors),
        },
    }


def _body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": _json(schema)}


def _path(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description}


ROW_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "at most")
DAY = {"type": "string", "format": "date"}


def _tenant_paths() -> dict[str, Any]:
    return {
        "/control/health": {
            "get": _op(
                "health",
                "Liveness: the app answers and the database is reachable",
                _object(status={"const": "ok"}),
                errors=UNAVAILABLE,
            ),
        },
        "/control/tenants": {
            "post": _op(
                "tenants_create",
                "Create a tenant; its secret is shown only here",
                ref("ControlTenant"),
                status="201",
                requestBody=_body(ref("ControlTenantCreate"), required=False),
                errors={**BAD_INPUT, **SHARED_MODE_REFUSAL, **TENANT_QUOTA},
                security=ADMIN_IN_SHARED_MODE,
            ),
        },
        "/control/reset": {
            "post": _op(
                "reset",
                "Forget the tenant's items, link tokens, rules and clock",
                _object(reset={"const": True}),
            ),
        },
    }


def _clock_paths() -> dict[str, Any]:
    clock = ref("ControlClock")
    return {
        "/control/clock": {
            "get": _op("clock_get", "The tenant's simulated time", clock),
            "post": _op(
                "clock_post",
                "Freeze, set or advance the clock; items catch up",
                clock,
                requestBody=_body(ref("ControlClockChange")),
            ),
        },
        "/control/items/{item_id}/balances": {
            "get": _op(
                "item_balances",
                "Daily end-of-day balances of an item's accounts",
                ref("ControlItemBalances"),
                errors=MISSING,
                parameters=[
                    _path("item_id", {"type": "string"}),
                    _query("start", DAY, "first day (default: 90 days before end)"),
                    _query("end", DAY, "last day (default and at most: today)"),
                    {
                        **_query(
                            "account_id",
                            {"type": "array", "items": {"type": "string"}},
                            "only these accounts",
                        ),
                        "explode": True,
                    },
                ],
            ),
        },
    }


def _file(op: dict[str, Any], *media: str) -> dict[str, Any]:
    """``op`` answering with a file (CSV, OFX, PDF…) instead of JSON."""
    ok = op["responses"]["200"]
    ok["content"] = {kind: {"schema": {"type": "string"}} for kind in media}
    return op


def _statement_paths() -> dict[str, Any]:
    item = _path("item_id", {"type": "string"})
    return {
        "/control/items/{item_id}/statements": {
            "get": _op(
                "item_statements",
                "An item's monthly statements per account, and the download formats",
                ref("ControlItemStatements"),
                parameters=[item],
                errors=MISSING,
            ),
        },
        "/control/items/{item_id}/statements/{statement_id}": {
            "get": _file(
                _op(
                    "item_statement",
                    "One monthly statement (PDF)",
                    {},
                    parameters=[item, _path("statement_id", {"type": "string"})],
                    errors=MISSING,
                ),
                "application/pdf",
            ),
        },
        "/control/items/{item_id}/accounts/{account_id}/export": {
            "get": _file(
                _op(
                    "account_export",
                    "An account's posted activity as CSV, OFX 1.x/2.x, QFX or PDF",
                    {},
                    parameters=[
                        item,
                        _path("account_id", {"type": "string"}),
                        _query("start", DAY, "first day (default: 30 days before end)"),
                        _query("end", DAY, "last day (default and at most: today)"),
                        _query(
                            "format", {"enum": ["csv", "ofx", "ofx2", "qfx", "pdf"]}, "file type"
                        ),
                        _query("layout", {"type": "string"}, "CSV layout (default: the bank's)"),
                    ],
                    errors=MISSING,
                ),
                "text/csv",
                "application/x-ofx",
                "application/vnd.intu.qfx",
                "application/pdf",
            ),
        },
    }


def _fault_paths() -> dict[str, Any]:
    rules = _object(rules={"type": "array", "items": ref("ControlFaultRule")})
    return {
        "/control/faults": {
            "post": _op(
                "faults_add",
                "Add a fault rule",
                ref("ControlFaultRule"),
                status="201",
                requestBody=_body(ref("ControlFaultRuleSpec")),
            ),
            "get": _op("faults_list", "The rules in evaluation order, with counts", rules),
            "delete": _op(
                "faults_clear", "Remove every rule", _object(removed={"type": "integer"})
            ),
        },
        "/control/faults/{rule_id}": {
            "delete": _op(
                "faults_delete",
                "Remove one rule",
                _object(removed={"const": 1}),
                parameters=[_path("rule_id", ROW_ID)],
                errors=MISSING,
            ),
        },
        "/control/faults/log": {
            "get": _op(
                "faults_log",
                "Injected faults, oldest first",
                _object(requests={"type": "array", "items": ref("ControlFaultLogEntry")}),
            ),
        },
    }


def _health_paths() -> dict[str, Any]:
    health_path = "/control/institutions/{institution_id}/health"
    institution = [_path("institution_id", {"type": "string"})]
    limits = ref("ControlRateLimits")
    return {
        "/control/institutions/health": {
            "get": _op(
                "institutions_health",
                "The tenant's institution health overrides",
                _object(institutions={"type": "array", "items": ref("ControlHealthOverride")}),
            ),
        },
        health_path: {
            "put": _op(
                "institution_health_set",
                "Mark an institution DOWN, DEGRADED or HEALTHY",
                ref("ControlHealth"),
                parameters=institution,
                requestBody=_body(ref("ControlHealthChange")),
                errors=MISSING,
            ),
            "delete": _op(
                "institution_health_clear",
                "Back to the catalogue's status",
                _object(removed={"type": "integer", "minimum": 0}),
                parameters=institution,
                errors=MISSING,
            ),
        },
        "/control/rate-limits": {
            "get": _op("rate_limits_get", "Effective limits per endpoint", limits),
            "put": _op(
                "rate_limits_put",
                "Switch limits and override them per endpoint",
                limits,
                requestBody=_body(ref("ControlRateLimitsChange"), required=False),
            ),
        },
    }


def _webhook_paths() -> dict[str, Any]:
    event = _object(webhook=ref("ControlWebhookEvent"))
    event_id = [_path("event_id", ROW_ID)]
    paused = {"type": "boolean"}
    return {
        "/control/webhooks": {
            "get": _op(
                "webhooks_list",
                "The delivery log, newest first",
                _object(
                    paused=paused, webhooks={"type": "array", "items": ref("ControlWebhookEvent")}
                ),
                parameters=[
                    _query("status", {"enum": list(STATUSES)}, "only this state"),
                    _query("item_id", {"type": "string"}, "only this item's"),
                    LIMIT,
                ],
            ),
        },
        "/control/webhooks/{event_id}": {
            "get": _op(
                "webhooks_get",
                "One event with its body and attempts",
                _object(webhook=ref("ControlWebhookEventDetail")),
                parameters=event_id,
                errors=MISSING,
            ),
        },
        "/control/webhooks/{event_id}/redeliver": {
            "post": _op(
                "webhooks_redeliver",
                "Queue an event again",
                event,
                parameters=event_id,
                errors=MISSING,
            ),
        },
    }


def _delivery_paths() -> dict[str, Any]:
    return {
        "/control/webhooks/deliver": {
            "post": _op(
                "webhooks_deliver",
                "Deliver the tenant's due webhooks now",
                _object(attempts={"type": "integer", "minimum": 0}),
            ),
        },
        "/control/webhooks/pause": {
            "post": _op("webhooks_pause", "Hold deliveries", _object(paused={"const": True})),
        },
        "/control/webhooks/resume": {
            "post": _op(
                "webhooks_resume", "Release held deliveries", _object(paused={"const": False})
            ),
        },
        "/control/webhook-keys/rotate": {
            "post": _op(
                "webhook_keys_rotate",
                "Retire the signing key and start a new one",
                _object(key=ref("JWKPublicKey")),
            ),
        },
    }


def _catcher_paths() -> dict[str, Any]:
    name = [_path("name", {"type": "string", "minLength": 1})]
    return {
        "/control/webhook-catcher/{name}": {
            "post": _op(
                "webhook_catcher_receive",
                "Store a webhook as it arrived (any body)",
                _object(received={"type": "integer"}),
                parameters=name,
                requestBody={"content": {"*/*": {"schema": {}}}},
                errors={**BAD_INPUT, **SHARED_MODE_REFUSAL},
            ),
            "get": _op(
                "webhook_catcher_list",
                "What the catcher received, oldest first",
                _object(webhooks={"type": "array", "items": ref("ControlCaughtWebhook")}),
                parameters=[*name, LIMIT],
                errors={**BAD_INPUT, **SHARED_MODE_REFUSAL},
                security=ADMIN_IN_SHARED_MODE,
            ),
            "delete": _op(
                "webhook_catcher_clear",
                "Empty the catcher",
                _object(cleared={"const": True}),
                parameters=name,
                errors={**BAD_INPUT, **SHARED_MODE_REFUSAL},
                security=ADMIN_IN_SHARED_MODE,
            ),
        },
    }


def paths() -> dict[str, Any]:
    """Every control path, keyed as OpenAPI writes them (``{name}`` for variables)."""
    return {
        **_tenant_paths(),
        **_clock_paths(),
        **_statement_paths(),
        **_fault_paths(),
        **_health_paths(),
        **_webhook_paths(),
        **_delivery_paths(),
        **_catcher_paths(),
        **_app_client_paths(),
    }


def _app_client_paths() -> dict[str, Any]:
    client_id = [_path("client_id", {"type": "string", "minLength": 1})]
    return {
        "/control/truelayer/clients": {
            "get": _op(
                "truelayer_clients_list",
                "The tenant's TrueLayer clients (its own API keys first)",
                _object(clients={"type": "array", "items": ref("ControlAppClient")}),
            ),
            "post": _op(
                "truelayer_clients_create",
                "Register a TrueLayer client; its secret is shown only here",
                ref("ControlAppClientCreated"),
                status="201",
                requestBody=_body(ref("ControlAppClientCreate")),
            ),
        },
        "/control/truelayer/clients/{client_id}": {
            "patch": _op(
                "truelayer_clients_change",
                "Add redirect URIs, change the consent length and/or the display name",
                ref("ControlAppClient"),
                parameters=client_id,
                errors=MISSING,
                requestBody=_body(ref("ControlAppClientChange"), required=False),
            ),
        },
    }


def security_schemes() -> dict[str, Any]:
    """HTTP Basic with the tenant's keys, and the admin token of a shared sandbox."""
    return {
        "basicAuth": {"type": "http", "scheme": "basic"},
        "adminToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "SANDBOX_ADMIN_TOKEN (or the Sandbox-Admin-Token header)",
        },
    }
