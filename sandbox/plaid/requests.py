"""Request schemas of the Plaid dialect: Plaid's field names, defaults and limits.

Unknown fields are rejected (``UNKNOWN_FIELDS``), as Plaid rejects them. Fields that
Plaid accepts but the sandbox has no behaviour for are still declared with the type Plaid's
document gives them (``spec_fields`` builds the deep ones), so SDKs sending them keep
working and a mistyped value is ``INVALID_FIELD`` rather than a failure later.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from ..core.bank import EgressRefused
from ..core.bank import check_window as check_statements_window
from ..shared import egress_policy

PRODUCTS = (
    "assets",
    "auth",
    "balance",
    "balance_plus",
    "beacon",
    "identity",
    "identity_match",
    "investments",
    "investments_auth",
    "liabilities",
    "payment_initiation",
    "identity_verification",
    "transactions",
    "credit_details",
    "income",
    "income_verification",
    "standing_orders",
    "transfer",
    "employment",
    "recurring_transactions",
    "transactions_refresh",
    "signal",
    "statements",
    "processor_payments",
    "processor_identity",
    "profile",
    "cra_base_report",
    "cra_income_insights",
    "cra_partner_insights",
    "cra_network_insights",
    "cra_cashflow_insights",
    "cra_monitoring",
    "cra_lend_score",
    "cra_plaid_credit_score",
    "layer",
    "pay_by_bank",
    "protect_linked_bank",
    "protect_transactions",
)
COUNTRY_CODES = (
    "US",
    "GB",
    "ES",
    "NL",
    "FR",
    "IE",
    "CA",
    "DE",
    "IT",
    "PL",
    "DK",
    "NO",
    "SE",
    "EE",
    "LT",
    "LV",
    "PT",
    "BE",
    "AT",
    "FI",
)
WEBHOOK_TYPES = (
    "AUTH",
    "HOLDINGS",
    "INVESTMENTS_TRANSACTIONS",
    "ITEM",
    "LIABILITIES",
    "TRANSACTIONS",
    "ASSETS",
    "IDENTITY",  # not in the OpenAPI enum, but in the endpoint's description and the SDKs
)


class StrictInteger(fields.Integer):
    """An integer that must arrive as a JSON integer (``1.5`` and ``"1"`` are rejected)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)


class StrictBoolean(fields.Boolean):
    """A boolean that must arrive as JSON ``true`` or ``false``: marshmallow's truthy and
    falsy sets match by equality, so ``1``, ``0`` and ``-0.0`` passed even as ``{True}``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class UtcDateTime(fields.AwareDateTime):
    """An ISO 8601 timestamp with a time zone, as UTC; one whose UTC moment falls outside
    years 1-9999 (``0001-01-01T00:00:00+05:00``) is refused, not an overflow later."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            raise ValidationError("is out of range in UTC (years 1-9999)") from None


class WebhookUrl(fields.Url):
    """A webhook URL: http(s), and not an address the sandbox never calls (``core.egress``).

    This is the early, friendly check on the URL's text; delivery checks the resolved address.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(require_tld=False, schemes={"http", "https"}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        url: str = super()._deserialize(value, attr, data, **kwargs)
        try:
            egress_policy().check_url(url)
        except EgressRefused as exc:
            raise ValidationError(str(exc)) from None
        return url


class PlaidRequest(Schema):
    """Base of every request schema: unknown fields raise."""

    class Meta:
        unknown = RAISE


def accepted(*names: str) -> dict[str, fields.Field[Any]]:
    """Fields Plaid accepts that carry no sandbox behaviour, as any JSON value.

    Only for schemas not yet typed from Plaid's document (``processor``, ``signal``): a
    value of any type passes, so prefer the type the document gives.
    """
    return {name: fields.Raw(allow_none=True) for name in names}


def products_field(**kwargs: Any) -> fields.List[Any]:
    return fields.List(fields.String(validate=validate.OneOf(PRODUCTS)), **kwargs)


def country_codes_field() -> fields.List[Any]:
    return fields.List(
        fields.String(validate=validate.OneOf(COUNTRY_CODES)),
        required=True,
        validate=validate.Length(min=1),
    )


class AccessTokenRequest(PlaidRequest):
    """Endpoints that take only an access token."""

    access_token = fields.String(required=True, validate=validate.Length(min=1))


def account_ids_field() -> fields.List[Any]:
    """``options.account_ids``: Plaid refuses an empty filter ("options.account_ids must be a
    non-empty array of valid account ids", quoted from Plaid's reply in frappe/erpnext#23376)
    rather than reading it as every account or as none; omit the field for every account."""
    return fields.List(
        fields.String(),
        validate=validate.Length(min=1, error="must be a non-empty array of valid account ids"),
    )


class AccountIdsOptions(PlaidRequest):
    account_ids = account_ids_field()


class AccountsRequest(AccessTokenRequest):
    """``/accounts/get``, ``/auth/get``, ``/identity/get``."""

    options = fields.Nested(AccountIdsOptions)


class BalanceOptions(AccountIdsOptions):
    min_last_updated_datetime = UtcDateTime()


class BalanceRequest(AccessTokenRequest):
    """``/accounts/balance/get``."""

    options = fields.Nested(BalanceOptions)


class ItemRemoveRequest(AccessTokenRequest):
    """``/item/remove``."""

    reason_code = fields.String(
        allow_none=True,
        validate=validate.OneOf(
            (
                "FRAUD_FIRST_PARTY",
                "FRAUD_FALSE_IDENTITY",
                "FRAUD_ABUSE",
                "FRAUD_OTHER",
                "CONNECTION_IS_NON_FUNCTIONAL",
                "OTHER",
            )
        ),
    )
    reason_note = fields.String(allow_none=True, validate=validate.Length(max=512))


class ItemWebhookUpdateRequest(AccessTokenRequest):
    """``/item/webhook/update``."""

    webhook = WebhookUrl(allow_none=True, load_default=None)


class PublicTokenExchangeRequest(PlaidRequest):
    """``/item/public_token/exchange``."""

    public_token = fields.String(required=True, validate=validate.Length(min=1))


class _PfcOptions(PlaidRequest):
    include_original_description = StrictBoolean(allow_none=True, load_default=False)
    personal_finance_category_version = fields.String(validate=validate.OneOf(("v1", "v2")))
    days_requested = StrictInteger(validate=validate.Range(1, 730))
    # Deprecated flags of Plaid's; the sandbox always includes the category and logos.
    include_personal_finance_category = StrictBoolean()
    include_personal_finance_category_beta = StrictBoolean()
    include_logo_and_counterparty_beta = StrictBoolean()


class SyncOptions(_PfcOptions):
    account_id = fields.String()


class TransactionsSyncRequest(AccessTokenRequest):
    """``/transactions/sync``."""

    cursor = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=256))
    count = StrictInteger(load_default=100, validate=validate.Range(1, 500))
    options = fields.Nested(SyncOptions, load_default=dict)


class TransactionsGetOptions(_PfcOptions):
    account_ids = account_ids_field()
    count = StrictInteger(load_default=100, validate=validate.Range(1, 500))
    offset = StrictInteger(load_default=0, validate=validate.Range(min=0))


class DateRange:
    """A request's ``start_date``..``end_date``, in order: refused by the schema (so before
    the call counts against its rate limits, as Plaid counts only well-formed calls)."""

    @validates_schema
    def _end_not_before_start(self, data: dict[str, Any], **_: Any) -> None:
        if data["end_date"] < data["start_date"]:
            raise ValidationError("must not be before start_date", "end_date")


class TransactionsGetRequest(DateRange, AccessTokenRequest):
    """``/transactions/get``."""

    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    options = fields.Nested(
        TransactionsGetOptions, load_default=lambda: {"count": 100, "offset": 0}
    )


class RecurringOptions(PlaidRequest):
    """``TransactionsRecurringGetRequestOptions``."""

    personal_finance_category_version = fields.String(validate=validate.OneOf(("v1", "v2")))
    include_personal_finance_category = StrictBoolean()  # deprecated: always included


class TransactionsRecurringGetRequest(AccessTokenRequest):
    """``/transactions/recurring/get``."""

    account_ids = fields.List(fields.String())
    options = fields.Nested(RecurringOptions)

    @post_load
    def _every_account_when_none_named(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Plaid's document: "Retrieves all active accounts on item if no `account_id`s are
        provided", so an empty top-level ``account_ids`` is every account, as absent is."""
        if not data.get("account_ids"):
            data.pop("account_ids", None)
        return data


class CategoriesGetRequest(PlaidRequest):
    """``/categories/get`` takes an empty object."""


class InstitutionsGetOptions(PlaidRequest):
    products = products_field(allow_none=True)
    routing_numbers = fields.List(fields.String(), allow_none=True)
    oauth = StrictBoolean(allow_none=True)
    include_optional_metadata = StrictBoolean(load_default=False)
    include_auth_metadata = StrictBoolean(load_default=False)
    include_payment_initiation_metadata = StrictBoolean(load_default=False)


class InstitutionsGetRequest(PlaidRequest):
    """``/institutions/get``."""

    count = StrictInteger(required=True, validate=validate.Range(1, 500))
    offset = StrictInteger(required=True, validate=validate.Range(min=0))
    country_codes = country_codes_field()
    options = fields.Nested(InstitutionsGetOptions, load_default=dict)


class InstitutionsGetByIdOptions(PlaidRequest):
    include_optional_metadata = StrictBoolean(load_default=False)
    include_status = StrictBoolean(load_default=False)
    include_auth_metadata = StrictBoolean(load_default=False)
    include_payment_initiation_metadata = StrictBoolean(load_default=False)


class InstitutionsGetByIdRequest(PlaidRequest):
    """``/institutions/get_by_id``."""

    institution_id = fields.String(required=True)
    country_codes = country_codes_field()
    options = fields.Nested(InstitutionsGetByIdOptions, load_default=dict)


class PaymentInitiationOptions(PlaidRequest):
    payment_id = fields.String(allow_none=True)
    consent_id = fields.String(allow_none=True)


class InstitutionsSearchOptions(PlaidRequest):
    oauth = StrictBoolean(allow_none=True)
    include_optional_metadata = StrictBoolean(load_default=False)
    include_auth_metadata = StrictBoolean(allow_none=True, load_default=False)
    include_payment_initiation_metadata = StrictBoolean(allow_none=True, load_default=False)
    payment_initiation = fields.Nested(PaymentInitiationOptions, allow_none=True)


class InstitutionsSearchRequest(PlaidRequest):
    """``/institutions/search``."""

    query = fields.String(required=True, validate=validate.Length(min=1))
    products = products_field(allow_none=True)
    country_codes = country_codes_field()
    options = fields.Nested(InstitutionsSearchOptions, load_default=dict)


class WebhookVerificationKeyGetRequest(PlaidRequest):
    """``/webhook_verification_key/get``."""

    key_id = fields.String(required=True)


class SandboxTransactionsOptions(PlaidRequest):
    start_date = fields.Date()
    end_date = fields.Date()
    days_requested = StrictInteger(validate=validate.Range(1, 730))


class SandboxStatementsOptions(PlaidRequest):
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)


class SandboxBankIncomeOptions(PlaidRequest):
    days_requested = StrictInteger()


class SandboxIncomeVerificationOptions(PlaidRequest):
    income_source_types = fields.List(fields.String(validate=validate.OneOf(("bank", "payroll"))))
    bank_income = fields.Nested(SandboxBankIncomeOptions)


class SandboxPublicTokenOptions(PlaidRequest):
    webhook = WebhookUrl()
    override_username = fields.String(allow_none=True, load_default="user_good")
    override_password = fields.String(allow_none=True, load_default="pass_good")
    transactions = fields.Nested(SandboxTransactionsOptions, allow_none=True)
    statements = fields.Nested(SandboxStatementsOptions, allow_none=True)
    income_verification = fields.Nested(SandboxIncomeVerificationOptions)


class SandboxPublicTokenCreateRequest(PlaidRequest):
    """``/sandbox/public_token/create``."""

    institution_id = fields.String(required=True)
    initial_products = products_field(required=True, validate=validate.Length(min=1))
    options = fields.Nested(
        SandboxPublicTokenOptions,
        load_default=lambda: {"override_username": "user_good", "override_password": "pass_good"},
    )
    user_token = fields.String()
    user_id = fields.String()


class SandboxSetVerificationStatusRequest(AccessTokenRequest):
    """``/sandbox/item/set_verification_status`` (the core checks the status value)."""

    account_id = fields.String(required=True, validate=validate.Length(min=1))
    verification_status = fields.String(required=True)


class SandboxFireWebhookOptions(PlaidRequest):
    """``options`` of ``/sandbox/item/fire_webhook`` (newer than the document: plaid-python
    46 sends it); the core checks it goes with ``TRANSACTIONS`` ``DEFAULT_UPDATE``."""

    new_transactions = StrictInteger(validate=validate.Range(min=0))


class SandboxFireWebhookRequest(AccessTokenRequest):
    """``/sandbox/item/fire_webhook``."""

    webhook_type = fields.String(
        validate=validate.OneOf(WEBHOOK_TYPES), load_default="TRANSACTIONS"
    )
    webhook_code = fields.String(required=True)
    options = fields.Nested(SandboxFireWebhookOptions, load_default=dict)


class CustomTransaction(PlaidRequest):
    date_transacted = fields.Date(required=True)
    date_posted = fields.Date(required=True)
    amount = fields.Decimal(required=True, places=2)
    description = fields.String(required=True, validate=validate.Length(min=1, max=200))
    iso_currency_code = fields.String()  # absent: the item's currency (USD at US banks)


class SandboxTransactionsCreateRequest(AccessTokenRequest):
    """``/sandbox/transactions/create``."""

    transactions = fields.List(
        fields.Nested(CustomTransaction), required=True, validate=validate.Length(1, 10)
    )


class StatementsDownloadRequest(AccessTokenRequest):
    """``/statements/download``."""

    statement_id = fields.String(required=True, validate=validate.Length(min=1))


class StatementsRefreshRequest(AccessTokenRequest):
    """``/statements/refresh``: dates in order and at most two years apart, by the core's rule
    for every Statements range, checked here so a refused call never counts against the rate
    limit (the core's ``InvalidField`` names the field, as from Link's ``statements``)."""

    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)

    @validates_schema
    def _statements_window(self, data: dict[str, Any], **_: Any) -> None:
        check_statements_window(data["start_date"], data["end_date"])
