"""A processor token's settings: what the app lets the partner read, where the partner hears.

``/processor/token/permissions/set`` and ``/get`` narrow (or restore) the products a token
may read; every ``/processor/*`` read checks them in the core (``bank.processors``).
``/processor/token/webhook/update`` gives the token a webhook URL, checked as
``/item/webhook/update`` checks one; the core acknowledges it there and copies the item's
Transactions webhooks to it.
"""

from __future__ import annotations

from flask import Response

from . import requests
from .auth import current_bank
from .blueprint import bp
from .processor import ProcessorTokenRequest
from .views import load, reply


class ProcessorTokenPermissionsSetRequest(ProcessorTokenRequest):
    """``/processor/token/permissions/set`` (an empty list: every product)."""

    products = requests.products_field(required=True)


class ProcessorTokenWebhookUpdateRequest(ProcessorTokenRequest):
    """``/processor/token/webhook/update`` (null removes the webhook)."""

    webhook = requests.WebhookUrl(required=True, allow_none=True)


@bp.post("/processor/token/permissions/set")
def processor_token_permissions_set() -> Response:
    """Let the token read only some products (an empty list: all of them)."""
    req = load(ProcessorTokenPermissionsSetRequest)
    current_bank().processors.set_permissions(req["processor_token"], req["products"])
    return reply()


@bp.post("/processor/token/permissions/get")
def processor_token_permissions_get() -> Response:
    """The products the token may read (an empty list: all of them)."""
    req = load(ProcessorTokenRequest)
    return reply(products=current_bank().processors.permissions(req["processor_token"]))


@bp.post("/processor/token/webhook/update")
def processor_token_webhook_update() -> Response:
    """Point the token's webhooks at a new URL (or none); acknowledged at the new URL."""
    req = load(ProcessorTokenWebhookUpdateRequest)
    current_bank().processors.update_webhook(req["processor_token"], req["webhook"])
    return reply()
