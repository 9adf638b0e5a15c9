"""Response schemas of the Plaid dialect: every key Plaid's SDK requires, nulls included.

Core objects carry our own names (integer minor units, ``id``); these schemas rename
and reshape them into Plaid's wire format. Money leaves here as JSON numbers in
currency units, dates as ``YYYY-MM-DD`` and instants as full ISO timestamps.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
from marshmallow import Schema, fields

from ..core import categories
from ..core.bank import (
    INSTANT_INSTITUTION,
    INSTANT_MATCH,
    ShownAccount,
    Stream,
    merchant_entity,
    verification_insights,
)
from ..core.institutions import Institution
from ..core.models import Account, Item, Transaction
from .errors import item_error

LOCATION_KEYS = (
    "address",
    "city",
    "region",
    "postal_code",
    "country",
    "lat",
    "lon",
    "store_number",
)
PAYMENT_META_KEYS = (
    "reference_number",
    "ppd_id",
    "payee",
    "by_order_of",
    "payer",
    "payment_method",
    "payment_processor",
    "reason",
)


def money(minor: int | None) -> float | None:
    """Integer minor units as a JSON number in currency units (exact to the cent)."""
    return None if minor is None else round(minor / 100, 2)


def timestamp(value: dt.datetime | None) -> str | None:
    """A full ISO 8601 UTC timestamp to the second, as Plaid's ``date-time`` fields need."""
    return None if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def balances_json(account: ShownAccount) -> dict[str, Any]:
    """Plaid's ``AccountBalance`` of an account (an ORM object or a row read with its columns)."""
    return {
        "available": money(account.available_minor),
        "current": money(account.current_minor),
        "limit": money(account.limit_minor),
        "iso_currency_code": account.currency,
        "unofficial_currency_code": None,
    }


def account_json(account: ShownAccount) -> dict[str, Any]:
    """Plaid's ``AccountBase``: built by hand, it is the hottest object the dialect renders
    (every accounts, auth, identity and sync reply), and a schema costs ten times as much."""
    body = {
        "account_id": account.id,
        "balances": balances_json(account),
        "mask": account.mask,
        "name": account.name,
        "official_name": account.official_name,
        "type": account.type,
        "subtype": account.subtype,
        "holder_category": "personal",
    }
    # Micro-deposit or database verification state; absent on ordinary accounts.
    status = account.verification_status
    if status is not None:
        body["verification_status"] = status
    if account.verification_name is not None:
        body["verification_name"] = account.verification_name
    if (insights := verification_insights(status, account.verification_name)) is not None:
        body["verification_insights"] = insights
    return body


def accounts_array(accounts: Iterable[ShownAccount]) -> orjson.Fragment:
    """The ``accounts`` array of a reply, as bytes ready to embed (``orjson.Fragment``).

    Every accounts, balance and sync reply shows the item's accounts, and building and
    writing them was a twentieth of a balance call. Each account is rendered once per set of
    the values its JSON shows (``RenderedAccount``) and its bytes kept: a balance changed, or a
    name, is another key.
    """
    parts = [_account_bytes(_rendered_values(account)) for account in accounts]
    return orjson.Fragment(b"[" + b",".join(parts) + b"]")


class RenderedAccount(NamedTuple):
    """What ``account_json`` reads of an account (``ShownAccount``): the key its bytes are
    kept under."""

    id: str
    type: str
    subtype: str | None
    name: str
    official_name: str | None
    mask: str | None
    currency: str
    current_minor: int
    available_minor: int | None
    limit_minor: int | None
    verification_status: str | None
    verification_name: str | None


_rendered_values = operator.attrgetter(*RenderedAccount._fields)


# About 900 bytes an entry (key, bytes, the cache's links): 230 KB when full, the accounts of
# some twenty items, those a test run or a demo keeps calling. 4,096 entries kept growing past
# the soak test's warm-up (3.7-4.2 MiB, and it failed); 512, by 2 MiB.
@lru_cache(maxsize=256)
def _account_bytes(values: tuple[Any, ...]) -> bytes:
    """``account_json`` of an account with these ``RenderedAccount`` values, as JSON bytes."""
    return orjson.dumps(account_json(RenderedAccount._make(values)))


def identity_account_json(account: Account, owner: dict[str, Any]) -> dict[str, Any]:
    """``AccountIdentity``: an account with its owners."""
    return {**account_json(account), "owners": [owner]}


class IdentityAccountSchema:
    """``AccountIdentity`` in a schema's shape (``dump``), for views that render one."""

    def __init__(self, owner: dict[str, Any], *, many: bool = False) -> None:
        self.owner, self.many = owner, many

    def dump(self, obj: Any) -> Any:
        """One account, or a list of them with ``many``."""
        if self.many:
            return [identity_account_json(account, self.owner) for account in obj]
        return identity_account_json(obj, self.owner)


def item_json(
    item: Item, institution: Institution, reason: str | None = None, auth_method: str | None = None
) -> dict[str, Any]:
    """Plaid's ``Item`` (``available_products`` depends on the bank); ``reason``: its
    error's ``error_code_reason``; ``auth_method``: how its Auth numbers came
    (``Bank.auth_method``)."""
    products = list(item.products)
    return {
        "item_id": item.id,
        "institution_id": item.institution_id,
        "institution_name": institution.name,
        "webhook": item.webhook,
        "error": item_error(item.error_code, reason),
        "available_products": sorted(set(institution.products) - set(products)),
        "billed_products": products,
        "products": list(products),
        "consented_products": list(products),
        "consent_expiration_time": timestamp(item.consent_expires_at),
        "update_type": "background",
        "auth_method": auth_method,
    }


def item_with_consent_json(
    item: Item, institution: Institution, reason: str | None, auth_method: str | None
) -> dict[str, Any]:
    """``/item/get``'s item, with creation time and consent fields."""
    return {
        **item_json(item, institution, reason, auth_method),
        "created_at": timestamp(item.created_at),
        "consented_use_cases": [],
        "consented_data_scopes": [],
    }


def item_status(item: Item) -> dict[str, Any]:
    """``/item/get``'s ``status`` object. The bank's connections serve every product at once,
    so an item with Investments shows the same updates for them (its link pulled the
    holdings, so it counts as one); null on an item without Investments."""
    return {
        "transactions": {
            "last_successful_update": timestamp(item.last_successful_update),
            "last_failed_update": timestamp(item.last_failed_update),
        },
        "investments": None
        if "investments" not in item.products
        else {
            "last_successful_update": timestamp(item.last_successful_update or item.created_at),
            "last_failed_update": timestamp(item.last_failed_update),
        },
        # ``code_sent`` is not nullable: an item that never sent a webhook has no object.
        "last_webhook": None
        if item.last_webhook_code is None
        else {"sent_at": timestamp(item.last_webhook_at), "code_sent": item.last_webhook_code},
    }


class TransactionSchema(Schema):
    """Plaid's ``Transaction``."""

    transaction_id = fields.String(attribute="id")
    account_id = fields.String()
    amount = fields.Function(lambda t: money(t.amount_minor))
    iso_currency_code = fields.String(attribute="currency")
    unofficial_currency_code = fields.Constant(None)
    date = fields.Date()
    authorized_date = fields.Date(allow_none=True)
    datetime = fields.Constant(None)
    authorized_datetime = fields.Constant(None)
    name = fields.String()
    merchant_name = fields.String(allow_none=True)
    merchant_entity_id = fields.Function(lambda t: _enrichment(t)[0])
    website = fields.Function(lambda t: _enrichment(t)[2])
    logo_url = fields.Function(lambda t: _enrichment(t)[1])
    check_number = fields.Constant(None)
    original_description = fields.Method("get_original_description")
    location = fields.Function(lambda t: _keys(t.details.get("location"), LOCATION_KEYS))
    payment_meta = fields.Function(
        lambda t: _keys(t.details.get("payment_meta"), PAYMENT_META_KEYS)
    )
    payment_channel = fields.String()
    pending = fields.Boolean()
    pending_transaction_id = fields.String(allow_none=True)
    account_owner = fields.Constant(None)
    transaction_code = fields.Function(lambda t: t.details.get("transaction_code"))
    transaction_type = fields.Function(lambda t: _transaction_type(t))
    category = fields.Function(lambda t: _legacy(t)[0])
    category_id = fields.Function(lambda t: _legacy(t)[1])
    personal_finance_category = fields.Method("get_pfc")
    personal_finance_category_icon_url = fields.Function(
        lambda t: categories.ICON_URL.format(primary=categories.categorize(t.category).primary)
    )
    counterparties = fields.Function(lambda t: _enrichment(t)[3])

    def __init__(
        self, *, original_description: bool = False, pfc_version: str = "v1", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.include_original_description = original_description
        self.pfc_version = pfc_version

    def get_original_description(self, t: Transaction) -> str | None:
        return t.name if self.include_original_description else None

    def get_pfc(self, t: Transaction) -> dict[str, Any]:
        category = categories.categorize(t.category)
        return {
            "primary": category.primary,
            "detailed": category.detailed,
            "confidence_level": "VERY_HIGH" if t.merchant_name else "HIGH",
            "version": self.pfc_version,
        }


# (merchant_entity_id, logo_url, website, counterparties): a plain tuple, as rendering a row
# builds one (a named tuple cost a fifth of the merchant fields' time).
Enrichment = tuple[str | None, str | None, str | None, list[dict[str, Any]]]


def enrichment(merchant_name: str | None, category: str, details: dict[str, Any]) -> Enrichment:
    """What Plaid's enrichment says of a row's merchant: a recognised merchant's entity id and
    logo (the row's own website first: a brand's local site), confidence ``VERY_HIGH``; a name
    Plaid would not know keeps nulls at ``LOW`` (a cleansed name, no match); no merchant, none.
    """
    entity = merchant_entity(merchant_name)
    website = details.get("website") or (entity.website if entity else None)
    if not merchant_name:
        return None, None, website, []
    entity_id, logo_url = (entity.entity_id, entity.logo_url) if entity else (None, None)
    counterparty = {
        "name": merchant_name,
        "type": "income_source" if category.startswith("INCOME") else "merchant",
        "website": website,
        "logo_url": logo_url,
        "entity_id": entity_id,
        "confidence_level": "VERY_HIGH" if entity else "LOW",
    }
    return entity_id, logo_url, website, [counterparty]


def _enrichment(t: Transaction) -> Enrichment:
    return enrichment(t.merchant_name, t.category, t.details)


def _keys(values: dict[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any]:
    values = values or {}
    return {key: values.get(key) for key in keys}


def _legacy(t: Transaction) -> tuple[list[str] | None, str | None]:
    category = categories.categorize(t.category)
    hierarchy = list(category.legacy_hierarchy) if category.legacy_hierarchy else None
    return hierarchy, category.legacy_id


def _transaction_type(t: Transaction) -> str:
    if t.payment_channel == "online":
        return "digital"
    if t.payment_channel == "in store":
        return "place"
    return "special"


class RemovedTransactionSchema(Schema):
    transaction_id = fields.String(attribute="id")
    account_id = fields.String()


class InstitutionSchema(Schema):
    """Plaid's ``Institution``; optional metadata only when asked for."""

    institution_id = fields.String()
    name = fields.String()
    products = fields.List(fields.String())
    country_codes = fields.List(fields.String())
    routing_numbers = fields.List(fields.String())
    oauth = fields.Boolean()
    dtc_numbers = fields.List(fields.String())
    connection_availability = fields.Function(
        lambda i: "NOT_SUPPORTED" if i.status == "DOWN" else "SUPPORTED"
    )

    def __init__(
        self,
        *,
        optional_metadata: bool = False,
        auth_metadata: bool = False,
        payment_initiation_metadata: bool = False,
        status: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.optional_metadata = optional_metadata
        self.auth_metadata = auth_metadata
        self.payment_initiation_metadata = payment_initiation_metadata
        self.status = status

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        if many:
            return [self.dump(o) for o in obj]
        body = dict(super().dump(obj))
        institution: Institution = obj
        if self.optional_metadata:
            body.update(
                url=institution.url,
                primary_color=institution.primary_color,
                logo=institution.logo_base64,
            )
        if self.auth_metadata:
            body["auth_metadata"] = auth_metadata_json(institution)
        if self.payment_initiation_metadata:
            body["payment_initiation_metadata"] = None  # no bank here runs Payment Initiation
        if self.status is not None:
            body["status"] = self.status
        return body


def auth_metadata_json(institution: Institution) -> dict[str, Any]:
    """Plaid's ``AuthMetadata``: the ways of verifying an account the sandbox runs at the bank.

    Instant Auth where the bank lists ``auth`` (Plaid lists it only for Instant Auth banks)
    and automated micro-deposits at US banks (ACH, as Link's micro-deposit flags require);
    Instant Micro-deposits at Windowpane Bank, where Plaid's sandbox runs them; Instant Match
    where the catalogue says the bank's numbers come by it (Houndstooth Bank). Same Day
    micro-deposits and Database Auth do not depend on the bank, so they have no flag here.
    """
    return {
        "supported_methods": {
            "instant_auth": "auth" in institution.products,
            "instant_match": institution.auth_method == INSTANT_MATCH,
            "automated_micro_deposits": "US" in institution.country_codes,
            "instant_micro_deposits": institution.institution_id == INSTANT_INSTITUTION,
        }
    }


def stream_json(stream: Stream) -> dict[str, Any]:
    """Plaid's ``TransactionStream`` for a detected stream."""
    category = categories.categorize(stream.category)
    currency = stream.transactions[-1].currency
    return {
        "account_id": stream.account_id,
        "stream_id": stream.stream_id,
        "category": list(category.legacy_hierarchy) if category.legacy_hierarchy else None,
        "category_id": category.legacy_id,
        "description": stream.description,
        "merchant_name": stream.merchant_name,
        "first_date": stream.first_date.isoformat(),
        "last_date": stream.last_date.isoformat(),
        "predicted_next_date": (
            stream.predicted_next_date.isoformat() if stream.predicted_next_date else None
        ),
        "frequency": stream.frequency,
        "transaction_ids": [t.id for t in stream.transactions],
        "average_amount": {
            "amount": money(stream.average_minor),
            "iso_currency_code": currency,
            "unofficial_currency_code": None,
        },
        "last_amount": {
            "amount": money(stream.last_minor),
            "iso_currency_code": currency,
            "unofficial_currency_code": None,
        },
        "is_active": stream.is_active,
        "status": stream.status,
        "is_user_modified": False,
        "personal_finance_category": {
            "primary": category.primary,
            "detailed": category.detailed,
            "confidence_level": "HIGH",
        },
    }


def _ach(account: Account) -> dict[str, Any]:
    n = account.numbers
    return {
        "account_id": account.id,
        "account": n["account"],
        "routing": n["ach_routing"],
        "wire_routing": n["ach_wire_routing"],
        "is_tokenized_account_number": False,  # the sandbox's numbers are the account's own
    }


def _eft(account: Account) -> dict[str, Any]:
    n = account.numbers
    return {
        "account_id": account.id,
        "account": n["account"],
        "institution": n["eft_institution"],
        "branch": n["eft_branch"],
    }


def _international(account: Account) -> dict[str, Any]:
    return {
        "account_id": account.id,
        "iban": account.numbers["iban"],
        "bic": account.numbers["bic"],
    }


def _bacs(account: Account) -> dict[str, Any]:
    n = account.numbers
    return {"account_id": account.id, "account": n["bacs_account"], "sort_code": n["sort_code"]}


NUMBER_BUILDERS = {"ach": _ach, "eft": _eft, "international": _international, "bacs": _bacs}
SCHEMES_BY_COUNTRY = {"US": ("ach",), "CA": ("eft",), "GB": ("international", "bacs")}


def auth_numbers(accounts: list[Account], country: str) -> dict[str, list[dict[str, Any]]]:
    """Plaid's ``numbers``: ACH in the US, EFT in Canada, IBAN elsewhere (plus BACS in the UK)."""
    numbers: dict[str, list[dict[str, Any]]] = {scheme: [] for scheme in NUMBER_BUILDERS}
    for scheme in SCHEMES_BY_COUNTRY.get(country, ("international",)):
        numbers[scheme] = [NUMBER_BUILDERS[scheme](account) for account in accounts]
    return numbers
