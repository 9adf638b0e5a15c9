"""The auth server's machine endpoints: tokens, deletion, providers, debug and ``/data/v1/me``.

| path | what |
|---|---|
| ``POST /connect/token`` | ``authorization_code`` (PKCE) or ``refresh_token`` → tokens |
| ``DELETE /api/delete`` | the bearer token's connection is deleted; its tokens stop working |
| ``GET /api/webhooks/<client_id>/jwks`` | the keys async webhooks are signed with |
| ``GET /api/providers`` | the providers (``country``, ``scopes``), with health (``clientId``) |
| ``GET /api/providers/<id>/logo`` | a provider's logo (PNG) |
| ``POST /api/debug`` | ``{access_token}`` → credentials id, provider id and a debug id |
| ``GET /data/v1/me`` | the consent behind the bearer token |
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import unquote

from flask import Response, abort, g, jsonify, request, url_for

from ..core import errors
from ..core.bank import (
    Grants,
    Issuer,
    TokenSet,
    authenticate_app_client,
    find_app_client,
    resolve_access,
)
from ..core.models import AppClient
from ..extensions import current_session, tenant_bank
from ..shared import public_url
from . import availability, data_access, fault_gate, providers
from .blueprint import bp
from .render import instant

GRANT_TYPES = ("authorization_code", "refresh_token")


def body() -> dict[str, Any]:
    """The request's fields: TrueLayer's SDKs post a form, its OpenAPI file says JSON."""
    if request.is_json:
        parsed = request.get_json(silent=True)
        if not isinstance(parsed, dict):
            raise errors.InvalidBody("the body is not a JSON object", field="body")
        return parsed
    return request.form.to_dict()


def required(fields: dict[str, Any], name: str) -> str:
    """A required string field, or ``invalid_request`` naming it."""
    value = optional(fields, name)
    if value is None:
        raise errors.MissingFields(f"{name} is required", field=name)
    return value


def optional(fields: dict[str, Any], name: str) -> str | None:
    """An optional string field (None when absent or empty), or ``invalid_request`` naming it:
    a JSON body may hold any type, and the core takes text."""
    value = fields.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise errors.InvalidField(f"{name} must be a string", field=name)
    return value


def issuer() -> Issuer:
    """This server as the issuer of tokens (``iss``, and TrueLayer's provider ids)."""
    return Issuer(public_url(), providers.connector_of)


def client_credentials(fields: dict[str, Any]) -> tuple[str | None, str | None]:
    """``client_id``/``client_secret`` from the body, or from HTTP Basic auth."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            pair = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise errors.InvalidClient(field="Authorization") from None
        client_id, secret = (unquote(part) for part in pair.partition(":")[::2])
        if "\x00" in client_id + secret:  # decoded here, after the header screen saw it
            raise errors.InvalidClient(field="Authorization")
        return client_id, secret
    return body_credentials(fields)


def body_credentials(fields: dict[str, Any]) -> tuple[str | None, str | None]:
    """``client_id``/``client_secret`` from the body: one that is not a string (a JSON number,
    ``true``, a list) names no client, so it is ``invalid_client`` as a wrong one is."""
    for name in ("client_id", "client_secret"):
        if fields.get(name) is not None and not isinstance(fields[name], str):
            raise errors.InvalidClient(field=name)
    return fields.get("client_id"), fields.get("client_secret")


def token_response(tokens: TokenSet) -> Response:
    """TrueLayer's token response (``refresh_token`` only with ``offline_access``)."""
    payload: dict[str, Any] = {
        "access_token": tokens.access_token,
        "expires_in": tokens.expires_in,
        "token_type": "Bearer",
        "scope": " ".join(tokens.scopes),
    }
    if tokens.refresh_token:
        payload["refresh_token"] = tokens.refresh_token
    response = jsonify(payload)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/connect/token")
def connect_token() -> Response:
    """Trade an authorization code or a refresh token for a new token set.

    The call counts against its rate limits (in the gate) only once its fields are read: one
    missing or malforming what its grant type requires is ``invalid_request`` and costs
    nothing. A well-formed call presenting a wrong or expired code or refresh token counts:
    it reached the auth server, which answers ``invalid_grant``."""
    fields = body()
    grant_type = required(fields, "grant_type")
    if grant_type not in GRANT_TYPES:
        raise errors.InvalidField(
            f"grant_type must be one of {', '.join(GRANT_TYPES)}", field="grant_type"
        )
    client_id, secret = client_credentials(fields)
    client = authenticate_app_client(current_session(), client_id, secret)
    redeem = presented_grant(grant_type, fields)
    bank = tenant_bank(client.tenant)
    if (fault := fault_gate.gate(bank, auth=True)) is not None:
        return fault
    return token_response(redeem(bank.grants, client))


def presented_grant(
    grant_type: str, fields: dict[str, Any]
) -> Callable[[Grants, AppClient], TokenSet]:
    """What the body presents for ``grant_type``, its fields read now (``invalid_request``
    naming one missing or not a string); call the result to redeem it."""
    if grant_type == "refresh_token":
        refresh_token = required(fields, "refresh_token")
        return lambda grants, client: grants.refresh(client, refresh_token, issuer=issuer())
    return partial(
        exchange_code,
        code=required(fields, "code"),
        redirect_uri=required(fields, "redirect_uri"),
        code_verifier=optional(fields, "code_verifier"),
    )


def exchange_code(
    grants: Grants, client: AppClient, *, code: str, redirect_uri: str, code_verifier: str | None
) -> TokenSet:
    """Redeem a code; a failed exchange by its own client used the code up, and a code
    presented again ended its tokens, which is kept although the reply is an error (only
    replies under 400 commit on their own)."""
    try:
        return grants.exchange_code(
            client, code, redirect_uri=redirect_uri, code_verifier=code_verifier, issuer=issuer()
        )
    except (errors.GrantInvalid, errors.AuthorizationCodeInvalid):
        current_session().commit()
        raise


@bp.delete("/api/delete")
def api_delete() -> Response:
    """Delete the bearer token's connection. TrueLayer's OpenAPI file answers 200 with "no
    response body": no content, so no ``Content-Type`` either (Flask's default would call the
    empty body ``text/html``)."""
    grant = data_access.bearer_grant()
    tenant_bank(grant.tenant).grants.revoke(grant.consent_id)
    deleted = Response(status=200)
    del deleted.headers["Content-Type"]
    return deleted


@bp.get("/api/webhooks/<client_id>/jwks")
def api_webhook_keys(client_id: str) -> Response:
    """The key set the ``Tl-Signature`` of this client's async webhooks is verified with (the
    ``jku`` of their JWS header; TrueLayer's own is at ``webhooks.truelayer.com``)."""
    client = find_app_client(current_session(), client_id)
    bank = tenant_bank(client.tenant)
    keys = bank.outbox.request_signature_keys(bank.now())
    current_session().commit()  # the key made on first use is the one webhooks are signed with
    return jsonify({"keys": keys})


@bp.get("/api/providers")
def api_providers() -> Response:
    """The providers an app can offer, optionally filtered by ``country`` and ``scopes`` (each
    a space-separated list, as TrueLayer's OpenAPI file has them; commas are taken too), with
    their health as ``clientId``'s tenant sees it (``availability``)."""
    countries, scopes = (_listed(request.args.get(name, "")) for name in ("country", "scopes"))
    found = providers.search(countries, scopes)
    health = availability.reader(request.args.get("clientId"))
    return jsonify([provider_json(p, health) for p in found])


def _listed(value: str) -> list[str]:
    return value.replace(",", " ").split()


@bp.get("/api/providers/<provider_id>/logo")
def api_provider_logo(provider_id: str) -> Response:
    """A provider's logo, so ``logo_url`` points somewhere real."""
    if provider_id not in providers.CATALOGUE:
        abort(404)
    png = base64.b64decode(providers.CATALOGUE[provider_id].institution.logo_base64)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "max-age=86400"})


def provider_json(
    provider: providers.Provider, health: availability.Availability
) -> dict[str, Any]:
    """One provider as ``/api/providers`` lists it."""
    return {
        "provider_id": provider.provider_id,
        "display_name": provider.display_name,
        "logo_url": public_url()
        + url_for("truelayer.api_provider_logo", provider_id=provider.provider_id),
        "country": provider.country,
        "scopes": list(provider.scopes),
        "availability": health(provider),
    }


@bp.post("/api/debug")
def api_debug() -> Response:
    """What support would ask for: the credentials id and provider of an access token."""
    grant = resolve_access(current_session(), required(body(), "access_token"))
    return jsonify(
        credentials_id=grant.credentials_id,
        debug_id=secrets.token_hex(16),
        provider_id=providers.connector_of(grant.institution_id),
    )


@bp.get("/data/v1/me")
def data_me() -> Response:
    """The connection behind the bearer token: client, provider, scopes and consent dates."""
    grant = g.truelayer_me = data_access.bearer_grant()
    result = {
        "client_id": grant.client_id,
        "credentials_id": grant.credentials_id,
        "consent_status": grant.status.capitalize(),
        "consent_status_updated_at": instant(grant.status_updated_at),
        "consent_created_at": instant(grant.created_at),
        "consent_expires_at": instant(grant.expires_at),
        "provider": provider_object(grant.institution_id),
        "scopes": sorted(grant.scopes),
        "privacy_policy": "Feb2019",
    }
    return jsonify(results=[result], status="Succeeded")


@bp.after_request
def data_me_headers(response: Response) -> Response:
    """``/data/v1/me`` is a Data API call: its replies, errors included, carry that API's
    headers (the credentials id once its token resolved)."""
    if request.endpoint == "truelayer.data_me":
        data_access.reply_headers(response, g.get("truelayer_me"))
    return response


def provider_object(institution_id: str) -> dict[str, Any]:
    """A connection's ``provider`` as the Data API shows it (``/me``, accounts and cards)."""
    provider = providers.by_institution(institution_id)
    provider_id = providers.connector_of(institution_id)
    logo = url_for("truelayer.api_provider_logo", provider_id=provider_id) if provider else None
    return {
        "display_name": provider.display_name if provider else institution_id,
        "logo_uri": public_url() + logo if logo else None,
        "provider_id": provider_id,
    }
