"""Plaid's Link token endpoints and ``/item/import``."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from . import link_requests
from .auth import current_bank
from .blueprint import bp
from .link_sessions import link_sessions
from .responses import timestamp
from .views import load, reply

# DIVERGES: Plaid's /item/import serves partners' users; here ``user_auth`` carries sandbox
# test credentials (``user_id`` = username, ``auth_token`` = password) at First Platypus
# unless ``institution_id`` says otherwise.
IMPORT_INSTITUTION = "ins_109508"


@bp.post("/link/token/create")
def link_token_create() -> Response:
    """Store a Link configuration and hand back its token (and hosted URL)."""
    req = load(link_requests.LinkTokenCreateRequest)
    link = current_bank().create_link_token(req)
    extra: dict[str, Any] = {}
    if "hosted_link" in req:
        extra["hosted_link_url"] = f"{request.host_url}link?token={link.token}"
    return reply(link_token=link.token, expiration=timestamp(link.expires_at), **extra)


@bp.post("/link/token/get")
def link_token_get() -> Response:
    """The Link configuration and the sessions run with it."""
    req = load(link_requests.LinkTokenGetRequest)
    link = current_bank().link_token(req["link_token"])
    config = link.config
    metadata = {
        "initial_products": config.get("products") or [],
        "webhook": config.get("webhook"),
        "country_codes": config["country_codes"],
        "language": config.get("language"),
        "redirect_uri": config.get("redirect_uri"),
        "client_name": config.get("client_name"),
        "account_filters": config.get("account_filters") or {},
    }
    if "institution_data" in config:  # Plaid's metadata echoes it (not nullable: else absent)
        metadata["institution_data"] = config["institution_data"]
    return reply(
        link_token=link.token,
        created_at=timestamp(link.created_at),
        expiration=timestamp(link.expires_at),
        metadata=metadata,
        link_sessions=link_sessions(link.sessions or []),
    )


@bp.post("/item/import")
def item_import() -> Response:
    """Create an item from credentials the app already holds (``user_auth``)."""
    req = load(link_requests.ItemImportRequest)
    bank = current_bank()
    item = bank.import_item(
        req.get("institution_id") or IMPORT_INSTITUTION,
        req["products"],
        username=req["user_auth"]["user_id"],
        password=req["user_auth"]["auth_token"],
        webhook=req["options"].get("webhook"),
    )
    return reply(access_token=bank.issue_access_token(item))
