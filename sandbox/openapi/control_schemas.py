"""Component schemas of the control API (``/control/**``), named ``Control*``.

Request bodies with a marshmallow schema are derived from it; the others mirror the
validation in ``sandbox.core`` (fault rules, health, rate limits), and the replies
mirror the dicts the views return.
"""

from __future__ import annotations

from typing import Any

from ..control.app_clients import AppClientChange, AppClientCreate
from ..control.routes import ClockChange, TenantCreate
from ..control.webhooks import STATUSES
from ..core.faults import health
from ..core.faults import spec as faults
from .from_marshmallow import object_schema

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
INSTANT = {"type": "string", "format": "date-time"}
NULLABLE_INSTANT = {"type": ["string", "null"], "format": "date-time"}


def closed_object(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """A closed object whose properties are all required except ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def ref(name: str) -> dict[str, str]:
    """A reference to one of the components below."""
    return {"$ref": f"#/components/schemas/{name}"}


def _fault_rule_fields() -> dict[str, Any]:
    latency_ms = {"type": "integer", "minimum": 0, "maximum": faults.MAX_LATENCY_MS}
    distribution = {
        "oneOf": [
            closed_object({"distribution": {"const": kind}, **dict.fromkeys(names, latency_ms)})
            for kind, names in faults.DISTRIBUTIONS.items()
        ]
    }
    text = {"type": "string", "minLength": 1, "maxLength": 200}
    return {
        "item_id": text,
        "institution_id": text,
        "endpoint": {
            **text,
            "description": "a glob such as /transactions/*; a truelayer rule must be able to "
            "match the Data API (/data/v1/...) or /connect/token",
        },
        "dialect": {"enum": ["plaid", "truelayer", "*"]},
        "error_code": {"type": "string", "pattern": "^[A-Za-z0-9_]{1,64}$"},
        "http_status": {
            "type": "integer",
            "minimum": faults.HTTP_STATUSES[0],
            "maximum": faults.HTTP_STATUSES[1],
        },
        "latency_ms": latency_ms,
        "latency": distribution,
        "drop": {"type": "boolean"},
        "truncate": {"type": "boolean"},
        "trigger": {"enum": list(faults.TRIGGERS)},
        "n": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        "start": INSTANT,
        "end": INSTANT,
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
        "seed": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
    }


def _fault_schemas() -> dict[str, Any]:
    rule_fields = _fault_rule_fields()
    return {
        "ControlFaultRuleSpec": {
            "description": "Match, action and trigger of a fault rule (sandbox.core.faults.spec).",
            "type": "object",
            "properties": rule_fields,
            "additionalProperties": False,
        },
        "ControlFaultRule": {
            "type": "object",
            "properties": {
                "id": INTEGER,
                **rule_fields,
                "matched": INTEGER,
                "fired": INTEGER,
                "created_at": INSTANT,
            },
            "required": ["id", "endpoint", "dialect", "trigger", "matched", "fired", "created_at"],
            "additionalProperties": False,
        },
        "ControlFaultLogEntry": closed_object(
            {
                "id": INTEGER,
                "at": INSTANT,
                "endpoint": STRING,
                "item_id": NULLABLE_STRING,
                "source": {"enum": ["header", "rate_limit", "health", "rule"]},
                "rule_id": {"type": ["integer", "null"]},
                "action": {"enum": ["error", "status", "drop", "truncate", "latency"]},
                "status": {"type": ["integer", "null"]},
                "error_code": NULLABLE_STRING,
                "latency_ms": INTEGER,
            }
        ),
    }


def _health_schemas() -> dict[str, Any]:
    rate = {"type": "number", "minimum": 0, "maximum": 1}
    return {
        "ControlHealthChange": closed_object(
            {
                "status": {
                    "enum": list(health.STATUSES),
                    "description": "the server also accepts these in lower case",
                },
                "failure_rate": rate,
            },
            optional=("failure_rate",),
        ),
        "ControlHealth": closed_object(
            {
                "institution_id": STRING,
                "status": {"enum": list(health.STATUSES)},
                "failure_rate": rate,
            }
        ),
        "ControlHealthOverride": closed_object(
            {
                "institution_id": STRING,
                "status": {"enum": list(health.STATUSES)},
                "failure_rate": rate,
                "changed_at": INSTANT,
            }
        ),
    }


def _rate_limit_schemas() -> dict[str, Any]:
    limit = {"type": ["integer", "null"], "minimum": 1}
    return {
        "ControlRateLimitsChange": closed_object(
            {
                "enabled": {"type": "boolean"},
                "limits": {
                    "type": ["object", "null"],
                    "description": "per endpoint (a path such as /accounts/get)",
                    "propertyNames": {"pattern": "^/"},
                    "additionalProperties": {
                        "type": "object",
                        "properties": {"per_item": limit, "per_client": limit},
                        "additionalProperties": False,
                    },
                },
            },
            optional=("enabled", "limits"),
        ),
        "ControlRateLimits": closed_object(
            {
                "enabled": {"type": "boolean"},
                "limits": {
                    "type": "object",
                    "additionalProperties": closed_object(
                        {
                            "per_item": limit,
                            "per_client": limit,
                            "item_code": NULLABLE_STRING,
                            "client_code": NULLABLE_STRING,
                        }
                    ),
                },
            }
        ),
    }


def _webhook_schemas() -> dict[str, Any]:
    event = {
        "id": INTEGER,
        "item_id": NULLABLE_STRING,
        "url": STRING,
        "webhook_type": STRING,
        "webhook_code": STRING,
        "status": {"enum": list(STATUSES)},
        "attempts": {
            **INTEGER,
            "description": "every delivery attempt made, redeliveries included (the length "
            "of attempt_log)",
        },
        "next_attempt_at": {
            **NULLABLE_INSTANT,
            "description": "when the next attempt is due; null once delivered, failed, "
            "endpoint_failing (not retried: its URL rejected over 90% of webhooks in 24 h) or "
            "cancelled (its item removed, or its webhook cleared, before it went out), "
            "or while the tenant's frozen clock holds it back (see held_until)",
        },
        "held_until": {
            **NULLABLE_INSTANT,
            "description": "the instant of the tenant's clock a held-back webhook waits for "
            "(HISTORICAL_UPDATE after SANDBOX_HISTORICAL_DELAY_SECONDS, an Asset report's "
            "PRODUCT_READY); null once it is sent or when it was never held back",
        },
        "created_at": NULLABLE_INSTANT,
        "delivered_at": NULLABLE_INSTANT,
    }
    return {
        "ControlWebhookEvent": closed_object(event),
        "ControlWebhookEventDetail": closed_object(
            {
                **event,
                "body": {**STRING, "description": "the exact JSON body sent"},
                "attempt_log": {"type": "array", "items": ref("ControlWebhookAttempt")},
            }
        ),
        "ControlWebhookAttempt": closed_object(
            {
                "started_at": NULLABLE_INSTANT,
                "status_code": {"type": ["integer", "null"]},
                "latency_ms": INTEGER,
                "response_excerpt": NULLABLE_STRING,
                "error": NULLABLE_STRING,
            }
        ),
        "ControlCaughtWebhook": closed_object(
            {
                "id": INTEGER,
                "received_at": NULLABLE_INSTANT,
                "headers": {
                    "type": "object",
                    "additionalProperties": STRING,
                    "description": "as received, but credentials (Authorization, Cookie, "
                    "PLAID-SECRET, API keys, tokens) read [redacted]",
                },
                "body": STRING,
            }
        ),
    }


def _balances_schema() -> dict[str, Any]:
    point = closed_object(
        {"date": {"type": "string", "format": "date"}, "current": {"type": "number"}}
    )
    account = closed_object(
        {
            "account_id": STRING,
            "name": STRING,
            "type": STRING,
            "subtype": NULLABLE_STRING,
            "iso_currency_code": NULLABLE_STRING,
            "balances": {"type": "array", "items": point},
        }
    )
    day = {"type": "string", "format": "date"}
    return closed_object(
        {
            "item_id": STRING,
            "start": day,
            "end": day,
            "accounts": {"type": "array", "items": account},
        }
    )


def _statements_schema() -> dict[str, Any]:
    day = {"type": "string", "format": "date"}
    statement = closed_object(
        {
            "statement_id": STRING,
            "year": INTEGER,
            "month": {**INTEGER, "minimum": 1, "maximum": 12},
            "start": day,
            "end": day,
        }
    )
    account = closed_object(
        {
            "account_id": STRING,
            "mask": NULLABLE_STRING,
            "statements": {"type": "array", "items": statement},
        }
    )
    return closed_object(
        {
            "item_id": STRING,
            "formats": {"type": "array", "items": STRING},
            "layouts": {"type": "object", "additionalProperties": STRING},
            "accounts": {"type": "array", "items": account},
        }
    )


def schemas() -> dict[str, Any]:
    """Every ``Control*`` component schema."""
    return {
        "ControlError": closed_object(
            {
                "error": closed_object(
                    {"code": STRING, "message": STRING, "field": NULLABLE_STRING},
                )
            }
        ),
        "ControlTenantCreate": object_schema(TenantCreate()),
        "ControlTenant": closed_object(
            {"client_id": STRING, "secret": STRING, "seed": INTEGER, "name": STRING}
        ),
        "ControlClockChange": {**object_schema(ClockChange()), "minProperties": 1},
        "ControlClock": closed_object(
            {
                "now": INSTANT,
                "today": {"type": "string", "format": "date"},
                "frozen": {"type": "boolean"},
                "items_changed": {**INTEGER, "minimum": 0},
            }
        ),
        **_fault_schemas(),
        **_health_schemas(),
        **_rate_limit_schemas(),
        **_webhook_schemas(),
        "ControlItemBalances": _balances_schema(),
        **_app_client_schemas(),
        "ControlItemStatements": _statements_schema(),
    }


def _app_client_schemas() -> dict[str, Any]:
    client = {
        "client_id": STRING,
        "redirect_uris": {"type": "array", "items": STRING},
        "consent_days": {**INTEGER, "minimum": 1},
        "display_name": NULLABLE_STRING,
        "uses_tenant_keys": {"type": "boolean"},
    }
    return {
        "ControlAppClientCreate": object_schema(AppClientCreate()),
        "ControlAppClientChange": object_schema(AppClientChange()),
        "ControlAppClient": closed_object(client),
        "ControlAppClientCreated": closed_object({**client, "client_secret": STRING}),
    }
