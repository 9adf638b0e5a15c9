"""The auth link's parameters: why one is refused, and the links the server hands out.

The dialog (``GET /?response_type=code...``) checks a link with :func:`link_problem` and
sends a refused one back to the app as an OAuth error; ``POST /v1/authuri`` checks the
link it is about to hand out with the same function and answers the problem as JSON
naming the parameter. :func:`reconsent_link` (extension's ``user_input_link``,
``/v1/reauthuri``) and :func:`direct_params` with :func:`link_url` (``/v1/authuri``)
build links to the dialog.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlencode

from ..core.models import AppClient
from ..shared import public_url
from . import providers
from .auth_tokens import optional

RESPONSE_MODES = ("query", "form_post")
# What a direct bank link carries from ``/v1/authuri``'s body besides its required fields.
DIRECT_OPTIONAL = ("state", "code_challenge", "code_challenge_method", "response_mode")


class LinkProblem(NamedTuple):
    """Why a link is refused: the OAuth ``error`` for the app, and the parameter at fault."""

    error: str
    description: str
    field: str

    def oauth(self) -> dict[str, str]:
        """The problem as the redirect back to the app carries it."""
        return error(self.error, self.description)


def error(code: str, description: str) -> dict[str, str]:
    """An OAuth error for the redirect back to the app."""
    return {"error": code, "error_description": description}


def link_problem(args: Mapping[str, str]) -> LinkProblem | None:
    """Why the link's parameters are refused, or None (the app and its redirect URI are
    checked before: a bad one cannot be trusted with a redirect)."""
    if (args.get("response_mode") or "query") not in RESPONSE_MODES:
        return LinkProblem(
            "invalid_request", "response_mode is query or form_post", "response_mode"
        )
    if not args.get("response_type"):
        return LinkProblem("invalid_request", "response_type is required", "response_type")
    if args["response_type"] != "code":
        return LinkProblem(
            "unsupported_response_type", "response_type must be code", "response_type"
        )
    if not args.get("scope", "").split():
        return LinkProblem("invalid_request", "scope is required", "scope")
    method, challenge = args.get("code_challenge_method"), args.get("code_challenge")
    if (method or challenge) and (method != "S256" or not challenge):
        return LinkProblem(
            "invalid_request",
            "PKCE needs code_challenge with code_challenge_method=S256",
            "code_challenge_method" if challenge else "code_challenge",
        )
    offered = [p.provider_id for p in providers.offered(args)]
    if not offered:
        return LinkProblem("invalid_request", "no provider matches providers", "providers")
    if args.get("provider_id") and args["provider_id"] not in offered:
        return LinkProblem("invalid_request", "provider_id is not among providers", "provider_id")
    return None


def reconsent_link(client: AppClient, token: str, scopes: list[str], fields: dict[str, Any]) -> str:
    """A single-use dialog link that renews an existing connection (extension's
    ``user_input_link``): ``token`` names the connection and whether to sign in again."""
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": fields["redirect_uri"],
        "scope": " ".join(scopes),
        "reconsent_token": token,
    }
    for name in ("state", "code_challenge", "response_mode"):
        if value := optional(fields, name):  # text, or invalid_request naming the field
            params[name] = value
    if "code_challenge" in params:
        params["code_challenge_method"] = "S256"
    return link_url(params)


def direct_params(required: dict[str, str], fields: dict[str, Any]) -> dict[str, str]:
    """A direct bank link's parameters: ``/v1/authuri``'s required fields, its optional ones
    sent (text, or invalid_request naming the field), and ``providers`` offering just the
    provider, so the dialog opens at its sign-in. ``consent_id`` (the app asked the user
    itself) tells the dialog to skip its own consent page."""
    params = {**required, "providers": required["provider_id"]}
    for name in DIRECT_OPTIONAL:
        if value := optional(fields, name):
            params[name] = value
    return params


def link_url(params: dict[str, str]) -> str:
    """The auth link (the site root) with ``params``."""
    return f"{public_url()}/?{urlencode(params)}"
