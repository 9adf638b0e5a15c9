"""Control API for the apps registered at TrueLayer's auth server (the tenant's clients).

| method and path | does |
|---|---|
| ``GET /control/truelayer/clients`` | the tenant's clients, its own (its API keys) first |
| ``POST /control/truelayer/clients`` | a new client with its own secret (shown only here) |
| ``PATCH /control/truelayer/clients/<client_id>`` | more redirect URIs, another consent length,
  a display name |

A client's ``display_name`` is what the auth dialog calls the app (else its client id); the
core checks it (``display_name`` named in the error), as the command line's. A change that
leaves the field out keeps the name; ``"display_name": null`` clears it.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify
from marshmallow import RAISE, Schema, fields, validate

from ..core.bank import UNCHANGED, Bank
from ..core.errors import InvalidClient, InvalidField, NotFound
from ..core.models import AppClient
from .blueprint import bp
from .routes import _load

MAX_URIS = 20
MAX_CONSENT_DAYS = 3650


def _redirect_uris(low: int, **options: Any) -> fields.List[str]:
    """A list of redirect URIs (the core checks each one's form)."""
    uri = fields.String(validate=validate.Length(1, 2000))
    return fields.List(uri, validate=validate.Length(low, MAX_URIS), **options)


def _consent_days(default: int | None) -> fields.Integer:
    return fields.Integer(
        strict=True, load_default=default, validate=validate.Range(1, MAX_CONSENT_DAYS)
    )


class AppClientCreate(Schema):
    """``POST /control/truelayer/clients``."""

    class Meta:
        unknown = RAISE

    redirect_uris = _redirect_uris(1, required=True)
    name = fields.String(load_default="app", validate=validate.Length(1, 40))
    consent_days = _consent_days(90)
    display_name = fields.String(load_default=None)


class AppClientChange(Schema):
    """``PATCH /control/truelayer/clients/<client_id>``."""

    class Meta:
        unknown = RAISE

    add_redirect_uris = _redirect_uris(0, load_default=list)
    consent_days = _consent_days(None)
    display_name = fields.String(
        allow_none=True,
        metadata={
            "description": "the name the auth dialog shows; null clears it (the dialog shows "
            "the client id again), leaving the field out keeps it"
        },
    )


def _bank() -> Bank:
    bank: Bank = g.bank
    return bank


def client_json(client: AppClient) -> dict[str, Any]:
    """A client as the control API shows it (never a secret, only whose keys sign in)."""
    return {
        "client_id": client.client_id,
        "redirect_uris": list(client.redirect_uris),
        "consent_days": client.consent_days,
        "display_name": client.display_name,
        "uses_tenant_keys": client.secret_hash is None,
    }


@bp.get("/truelayer/clients")
def truelayer_clients_list() -> Response:
    """The tenant's TrueLayer clients: ids, redirect URIs and consent lengths."""
    return jsonify(clients=[client_json(c) for c in _bank().grants.clients()])


@bp.post("/truelayer/clients")
def truelayer_clients_create() -> tuple[Response, int]:
    """Register another app; its ``client_secret`` is shown only in this reply."""
    data = _load(AppClientCreate())
    client, secret = _bank().grants.register_client(
        data["redirect_uris"],
        name=data["name"],
        consent_days=data["consent_days"],
        display_name=data["display_name"],
    )
    return jsonify({**client_json(client), "client_secret": secret}), 201


def _known_client(client_id: str) -> None:
    """``NotFound`` naming an id that is none of the tenant's clients, as the control API
    answers other unknown ids (the core says "not valid", as TrueLayer's auth server does)."""
    try:
        _bank().grants.client(client_id)
    except (InvalidClient, InvalidField):
        raise NotFound(f"no TrueLayer client {client_id}", field="client_id") from None


@bp.patch("/truelayer/clients/<client_id>")
def truelayer_clients_change(client_id: str) -> Response:
    """Add redirect URIs to a client, change how many days its consents last and/or the
    name the auth dialog shows."""
    data = _load(AppClientChange())
    _known_client(client_id)
    client = _bank().grants.update_client(
        client_id,
        add_redirect_uris=data["add_redirect_uris"],
        consent_days=data["consent_days"],
        display_name=data.get("display_name", UNCHANGED),
    )
    return jsonify(client_json(client))
