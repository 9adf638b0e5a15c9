"""Plaid's ``/transactions/enrich``: the app's own transactions, enriched by the core.

The request is Plaid's ``TransactionsEnrichRequest`` (at most 100 transactions, each with an
id, a description, an amount of zero or more, a direction and a currency); the core
recognises each row (``bank.enrich_transaction``) and this module writes Plaid's
``Enrichments`` object for it.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import fields, validate

from ..core.bank import Enrichment, RawTransaction, enrich_transaction
from ..core.categories import ICON_URL
from . import requests
from .blueprint import bp
from .responses import LOCATION_KEYS
from .signal import Amount
from .views import load, reply

MAX_TRANSACTIONS = 100
ACCOUNT_TYPES = ("depository", "credit")
DIRECTIONS = ("INFLOW", "OUTFLOW")


def _text() -> fields.String:
    return fields.String()


class ClientProvidedTransactionLocation(requests.PlaidRequest):
    address = _text()
    city = _text()
    region = _text()
    postal_code = _text()
    country = _text()


class ClientProvidedTransaction(requests.PlaidRequest):
    """One of the app's rows; the hidden grouping fields are taken and not used."""

    id = fields.String(required=True, validate=validate.Length(min=1))
    description = fields.String(required=True, validate=validate.Length(min=1))
    amount = Amount(required=True, validate=validate.Range(min=0))
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    iso_currency_code = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Z]{3}\Z", error="must be an ISO 4217 code")
    )
    location = fields.Nested(ClientProvidedTransactionLocation)
    mcc = fields.String(validate=validate.Regexp(r"^[0-9]{4}\Z", error="must be four digits"))
    date_posted = fields.Date()
    account_type = _text()
    account_subtype = _text()
    client_account_id = _text()
    client_user_id = _text()
    user_id = _text()


class TransactionsEnrichOptions(requests.PlaidRequest):
    include_legacy_category = requests.StrictBoolean(load_default=False)
    personal_finance_category_version = fields.String(validate=validate.OneOf(("v1", "v2")))


class TransactionsEnrichRequest(requests.PlaidRequest):
    """``/transactions/enrich``."""

    account_type = fields.String(required=True, validate=validate.OneOf(ACCOUNT_TYPES))
    transactions = fields.List(
        fields.Nested(ClientProvidedTransaction),
        required=True,
        validate=validate.Length(1, MAX_TRANSACTIONS),
    )
    options = fields.Nested(TransactionsEnrichOptions, load_default=dict)


@bp.post("/transactions/enrich")
def transactions_enrich() -> Response:
    """Each of the app's transactions with the merchant, category and place the core sees."""
    req = load(TransactionsEnrichRequest)
    options = req["options"]
    enriched = []
    for row in req["transactions"]:
        raw = RawTransaction(
            description=row["description"],
            direction=row["direction"],
            iso_currency_code=row["iso_currency_code"],
            account_type=req["account_type"],
            mcc=row.get("mcc"),
            location=row.get("location") or {},
        )
        enriched.append(
            {
                "id": row["id"],
                "description": row["description"],
                "amount": float(row["amount"]),
                "direction": row["direction"],
                "iso_currency_code": row["iso_currency_code"],
                "enrichments": enrichments_json(enrich_transaction(raw), options),
            }
        )
    return reply(enriched_transactions=enriched)


def enrichments_json(found: Enrichment, options: dict[str, Any]) -> dict[str, Any]:
    """Plaid's ``Enrichments`` object (the legacy category only when asked for)."""
    entity_id = found.entity.entity_id if found.entity else None
    logo_url = found.entity.logo_url if found.entity else None
    body: dict[str, Any] = {
        "counterparties": counterparties_json(found, entity_id, logo_url),
        "entity_id": entity_id,
        "location": {key: found.location.get(key) for key in LOCATION_KEYS},
        "logo_url": logo_url,
        "merchant_name": found.merchant_name,
        "payment_channel": found.payment_channel,
        "personal_finance_category": {
            "primary": found.category.primary,
            "detailed": found.category.detailed,
            "confidence_level": found.confidence,
            "version": options.get("personal_finance_category_version") or "v1",
        },
        "personal_finance_category_icon_url": ICON_URL.format(primary=found.category.primary),
        "phone_number": None,
        "website": found.website,
    }
    if options.get("include_legacy_category"):
        hierarchy = found.category.legacy_hierarchy
        body["legacy_category"] = list(hierarchy) if hierarchy else None
        body["legacy_category_id"] = found.category.legacy_id
    return body


def counterparties_json(
    found: Enrichment, entity_id: str | None, logo_url: str | None
) -> list[dict[str, Any]]:
    """The row's one counterparty (its merchant, employer or payment app), or none."""
    if found.merchant_name is None or found.counterparty_type is None:
        return []
    return [
        {
            "name": found.merchant_name,
            "type": found.counterparty_type,
            "entity_id": entity_id,
            "logo_url": logo_url,
            "website": found.website,
            "phone_number": None,
            "confidence_level": found.confidence,
        }
    ]
