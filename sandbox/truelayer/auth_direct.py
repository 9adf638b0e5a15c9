"""``POST /v1/authuri``: a direct bank authentication link, for apps that ask for consent.

The app names the provider and its own record of the user's consent (``consent_id``);
the answer ``{"result": <link>, "success": true}`` is an auth link that opens the dialog at
that provider's sign-in (the mock bank's form, or the bank's own OAuth page) and returns
the code to the app from there, with no provider picker and no consent page of the
dialog's. The link is checked as the dialog checks any auth link (``auth_link``), its
problems answered as JSON naming the field: the document gives this path only 401 and
500, so every refusal is a 401 (``errors.ENDPOINT_ERRORS``).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, jsonify

from ..core import errors
from ..core.bank import find_app_client
from ..extensions import current_session, tenant_bank
from . import providers
from .auth_link import DIRECT_OPTIONAL, direct_params, link_problem, link_url
from .auth_tokens import body, optional, required
from .blueprint import bp

REQUIRED = ("response_type", "client_id", "redirect_uri", "scope", "consent_id", "provider_id")
UNUSED = ("user", "auth_inputs", "tracking_id", "data_use_description")
# The request schema's properties (``additionalProperties: false``): the auth link's own
# ``providers`` and ``reconsent_token`` are not among them.
SCHEMA_FIELDS = frozenset((*REQUIRED, *DIRECT_OPTIONAL, *UNUSED))
USER_FIELDS = ("id", "name", "email", "phone")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@bp.post("/v1/authuri")
def v1_authuri() -> Response:
    """The direct bank link for the body's client, redirect URI, scopes and provider."""
    fields = body()
    if unknown := sorted(set(fields) - SCHEMA_FIELDS):
        raise errors.InvalidField(f"{unknown[0]} is not a field of this body", field=unknown[0])
    given = {name: required(fields, name) for name in REQUIRED}
    client = find_app_client(current_session(), given["client_id"])
    tenant_bank(client.tenant).grants.check_redirect(client, given["redirect_uri"])
    providers.get(given["provider_id"])  # an unknown one: invalid_request naming provider_id
    check_user(fields.get("user"))
    check_auth_inputs(fields.get("auth_inputs"))
    for name in ("tracking_id", "data_use_description"):
        optional(fields, name)
    params = direct_params(given, fields)
    if params.get("response_mode", "form_post") != "form_post":  # the schema's enum
        raise errors.InvalidField("response_mode must be form_post", field="response_mode")
    # The dialog's OAuth code (``problem.error``, e.g. unsupported_response_type) is for the
    # redirect back to the app; this path answers every refusal as invalid_request.
    if problem := link_problem(params):
        raise errors.InvalidField(problem.description, field=problem.field)
    return jsonify(result=link_url(params), success=True)


def check_user(user: Any) -> None:
    """``user``, when sent: text fields, ``name`` and one of ``email`` or ``phone`` (the
    document's rule). The sandbox's banks sign in their own users, so it goes no further."""
    if user is None:
        return
    if not isinstance(user, dict):
        raise errors.InvalidField("user must be an object", field="user")
    for name in USER_FIELDS:
        if user.get(name) is not None and not isinstance(user[name], str):
            raise errors.InvalidField(f"user.{name} must be a string", field=f"user.{name}")
    if not user.get("name"):
        raise errors.MissingFields("user.name is required", field="user.name")
    if not (user.get("email") or user.get("phone")):
        raise errors.MissingFields("user needs an email or a phone", field="user.email")
    if user.get("email") and not EMAIL.fullmatch(user["email"]):
        raise errors.InvalidField("user.email is not an email address", field="user.email")


def check_auth_inputs(inputs: Any) -> None:
    """``auth_inputs``, when sent: each provider input's id mapped to the user's choice. The
    document types it an array of such objects and shows one object; either is taken. No
    provider of the sandbox asks for inputs (``/api/providers`` lists no ``steps``)."""
    if inputs is None:
        return
    entries = inputs if isinstance(inputs, list) else [inputs]
    if not all(
        isinstance(entry, dict) and all(isinstance(v, str) for v in entry.values())
        for entry in entries
    ):
        raise errors.InvalidField(
            "auth_inputs maps each input's id to a string", field="auth_inputs"
        )
