"""``POST /data/v1/connections/extend`` and ``POST /v1/reauthuri``: keep a connection going.

Three outcomes, told apart by ``action_needed``: ``no_action_needed`` with new tokens
(``john``/``eternal``), ``authentication_needed`` (sign in at the bank again) and
``reconfirmation_of_consent_needed`` (confirm in the dialog); the two links open the auth
dialog on the same connection. Errors are problem JSON (RFC 7807), as TrueLayer's are.
``/v1/reauthuri`` (superseded by extension) answers ``{"result": <link>, "success": true}``
with the re-authentication link of a refresh token's connection.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from ..core import errors
from ..core.bank import (
    RECONFIRMATION_NEEDED,
    RENEWED,
    authenticate_app_client,
    consent_of_refresh_token,
)
from ..extensions import current_session, tenant_bank
from .auth_link import reconsent_link
from .auth_tokens import body, body_credentials, issuer, required
from .blueprint import bp


@bp.post("/data/v1/connections/extend")
def connections_extend() -> Response:
    """Extend the connection of a refresh token (TrueLayer's three outcomes); its errors are
    problem JSON (``problems``), those of the body's screening included."""
    return jsonify(extend(_fields()))


def extend(fields: dict[str, Any]) -> dict[str, Any]:
    """Run the extension and describe its outcome in TrueLayer's words."""
    reconfirmed = fields.get("user_has_reconfirmed_consent")
    if not isinstance(reconfirmed, bool):
        raise errors.InvalidField(
            "user_has_reconfirmed_consent must be true or false",
            field="user_has_reconfirmed_consent",
        )
    client = authenticate_app_client(current_session(), *body_credentials(fields))
    grants = tenant_bank(client.tenant).grants
    grants.check_redirect(client, required(fields, "redirect_uri"))
    outcome = grants.extend(
        client, required(fields, "refresh_token"), reconfirmed=reconfirmed, issuer=issuer()
    )
    if outcome.action == RENEWED and outcome.tokens is not None:
        return {
            "action_needed": "no_action_needed",
            "access_token": outcome.tokens.access_token,
            "expires_in": outcome.tokens.expires_in,
            "refresh_token": outcome.tokens.refresh_token,
            "token_type": "Bearer",
        }
    reconfirm = outcome.action == RECONFIRMATION_NEEDED
    token = grants.reconsent_link(outcome.consent, reauthenticate=not reconfirm)
    link = reconsent_link(client, token, list(outcome.consent.scopes), fields)
    action = "reconfirmation_of_consent_needed" if reconfirm else "authentication_needed"
    return {"action_needed": action, "user_input_link": link}


@bp.post("/v1/reauthuri")
def v1_reauthuri() -> Response:
    """The dialog link that re-authenticates a refresh token's connection."""
    fields = body()
    if required(fields, "response_type") != "code":
        raise errors.InvalidField("response_type must be code", field="response_type")
    consent = consent_of_refresh_token(current_session(), required(fields, "refresh_token"))
    grants = tenant_bank(consent.tenant).grants
    grants.check_redirect(consent.client, required(fields, "redirect_uri"))
    token = grants.reconsent_link(consent, reauthenticate=True)
    link = reconsent_link(consent.client, token, list(consent.scopes), fields)
    return jsonify(result=link, success=True)


def _fields() -> dict[str, Any]:
    parsed = request.get_json(silent=True)
    if not isinstance(parsed, dict):
        raise errors.InvalidBody("the body must be a JSON object", field="body")
    return parsed
