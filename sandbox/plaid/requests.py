"""Request schemas of the Plaid dialect: Plaid's field names, defaults and limits.

Unknown fields are rejected (``UNKNOWN_FIELDS``), as Plaid rejects them. Fields that
Plaid accepts but the sandbox has no behaviour for are declared with ``accepted()``
so that SDKs sending them keep working.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

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
)


class StrictInteger(fields.Integer):
    """An integer that must arrive as a JSON integer (``1.5`` and ``"1"`` are rejected)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)


class PlaidRequest(Schema):
    """Base of every request schema: unknown fields raise."""

    class Meta:
        unknown = RAISE


def accepted(*names: str) -> dict[str, fields.Field[Any]]:
    """Fields Plaid accepts that carry no sandbox behaviour (any JSON value)."""
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


class AccountIdsOptions(PlaidRequest):
    account_ids = fields.List(fields.String())


class AccountsRequest(AccessTokenRequest):
    """``/accounts/get``, ``/auth/get``, ``/identity/get``."""

    options = fields.Nested(AccountIdsOptions)


class BalanceOptions(AccountIdsOptions):
    min_last_updated_datetime = fields.AwareDateTime()


class BalanceRequest(AccessTokenRequest):
    """``/accounts/balance/get``."""

    options = fields.Nested(BalanceOptions)


class ItemRemoveRequest(AccessTokenRequest):
    """``/item/remove``."""

    reason_code = fields.String(
        validate=validate.OneOf(
            (
                "FRAUD_FIRST_PARTY",
                "FRAUD_FALSE_IDENTITY",
                "FRAUD_ABUSE",
                "FRAUD_OTHER",
                "CONNECTION_IS_NON_FUNCTIONAL",
                "OTHER",
            )
        )
    )
    reason_note = fields.String(allow_none=True, validate=validate.Length(max=512))


class ItemWebhookUpdateRequest(AccessTokenRequest):
    """``/item/webhook/update``."""

    webhook = fields.Url(allow_none=True, require_tld=False, load_default=None)


class PublicTokenExchangeRequest(PlaidRequest):
    """``/item/public_token/exchange``."""

    public_token = fields.String(required=True, validate=validate.Length(min=1))


class _PfcOptions(PlaidRequest):
    include_original_description = fields.Boolean(allow_none=True, load_default=False)
    personal_finance_category_version = fields.String(validate=validate.OneOf(("v1", "v2")))
    days_requested = StrictInteger(validate=validate.Range(1, 730))

    class Meta(PlaidRequest.Meta):
        include = accepted(
            "include_personal_finance_category",
            "include_personal_finance_category_beta",
            "include_logo_and_counterparty_beta",
        )


class SyncOptions(_PfcOptions):
    account_id = fields.String()


class TransactionsSyncRequest(AccessTokenRequest):
    """``/transactions/sync``."""

    cursor = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=256))
    count = StrictInteger(load_default=100, validate=validate.Range(1, 500))
    options = fields.Nested(SyncOptions, load_default=dict)


class TransactionsGetOptions(_PfcOptions):
    account_ids = fields.List(fields.String())
    count = StrictInteger(load_default=100, validate=validate.Range(1, 500))
    offset = StrictInteger(load_default=0, validate=validate.Range(min=0))


class TransactionsGetRequest(AccessTokenRequest):
    """``/transactions/get``."""

    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    options = fields.Nested(
        TransactionsGetOptions, load_default=lambda: {"count": 100, "offset": 0}
    )


class RecurringOptions(PlaidRequest):
    personal_finance_category_version = fields.String(validate=validate.OneOf(("v1", "v2")))

    class Meta(PlaidRequest.Meta):
        include = accepted("include_personal_finance_category")


class TransactionsRecurringGetRequest(AccessTokenRequest):
    """``/transactions/recurring/get``."""

    account_ids = fields.List(fields.String())
    options = fields.Nested(RecurringOptions)


class CategoriesGetRequest(PlaidRequest):
    """``/categories/get`` takes an empty object."""


class InstitutionsGetOptions(PlaidRequest):
    products = products_field(allow_none=True)
    routing_numbers = fields.List(fields.String(), allow_none=True)
    oauth = fields.Boolean(allow_none=True)
    include_optional_metadata = fields.Boolean(load_default=False)
    include_auth_metadata = fields.Boolean(load_default=False)
    include_payment_initiation_metadata = fields.Boolean(load_default=False)


class InstitutionsGetRequest(PlaidRequest):
    """``/institutions/get``."""

    count = StrictInteger(required=True, validate=validate.Range(1, 500))
    offset = StrictInteger(required=True, validate=validate.Range(min=0))
    country_codes = country_codes_field()
    options = fields.Nested(InstitutionsGetOptions, load_default=dict)


class InstitutionsGetByIdOptions(PlaidRequest):
    include_optional_metadata = fields.Boolean(load_default=False)
    include_status = fields.Boolean(load_default=False)
    include_auth_metadata = fields.Boolean(load_default=False)
    include_payment_initiation_metadata = fields.Boolean(load_default=False)


class InstitutionsGetByIdRequest(PlaidRequest):
    """``/institutions/get_by_id``."""

    institution_id = fields.String(required=True)
    country_codes = country_codes_field()
    options = fields.Nested(InstitutionsGetByIdOptions, load_default=dict)


class InstitutionsSearchOptions(PlaidRequest):
    oauth = fields.Boolean(allow_none=True)
    include_optional_metadata = fields.Boolean(load_default=False)
    include_auth_metadata = fields.Boolean(allow_none=True, load_default=False)
    include_payment_initiation_metadata = fields.Boolean(allow_none=True, load_default=False)

    class Meta(PlaidRequest.Meta):
        include = accepted("payment_initiation")


class InstitutionsSearchRequest(PlaidRequest):
    """``/institutions/search``."""

    query = fields.String(required=True, validate=validate.Length(min=1))
    products = products_field(allow_none=True)
    country_codes = country_codes_field()
    options = fields.Nested(InstitutionsSearchOptions, load_default=dict)


class WebhookVerificationKeyGetRequest(PlaidRequest):
    """``/webhook_verification_key/get``."""

    key_id = fields.String(required=True)


class LinkUser(PlaidRequest):
    client_user_id = fields.String(required=True, validate=validate.Length(min=1))

    class Meta(PlaidRequest.Meta):
        include = accepted(
            "legal_name",
            "name",
            "phone_number",
            "phone_number_verified_time",
            "email_address",
            "email_address_verified_time",
            "ssn",
            "date_of_birth",
            "address",
            "id_number",
        )


class HostedLink(PlaidRequest):
    completion_redirect_uri = fields.String()
    url_lifetime_seconds = StrictInteger(validate=validate.Range(60, 21 * 24 * 3600))
    is_mobile_app = fields.Boolean()
    delivery_method = fields.String()


class LinkTransactions(PlaidRequest):
    days_requested = StrictInteger(validate=validate.Range(1, 730))


class LinkUpdate(PlaidRequest):
    account_selection_enabled = fields.Boolean(load_default=False)

    class Meta(PlaidRequest.Meta):
        include = accepted("reauthorization_enabled", "user", "item_ids")


class SubtypeFilter(PlaidRequest):
    """Which subtypes of one account type Link offers (``["all"]`` for every one)."""

    account_subtypes = fields.List(fields.String(), required=True)


class AccountFilters(PlaidRequest):
    """``account_filters``: the account types (and subtypes) Link offers."""

    depository = fields.Nested(SubtypeFilter)
    credit = fields.Nested(SubtypeFilter)
    loan = fields.Nested(SubtypeFilter)
    investment = fields.Nested(SubtypeFilter)
    other = fields.Nested(SubtypeFilter)


class LinkTokenCreateRequest(PlaidRequest):
    """``/link/token/create``."""

    client_name = fields.String(required=True, validate=validate.Length(min=1))
    language = fields.String(
        required=True,
        validate=validate.OneOf(
            (
                "da",
                "nl",
                "en",
                "et",
                "fr",
                "de",
                "hi",
                "it",
                "lv",
                "lt",
                "no",
                "pl",
                "pt",
                "ro",
                "es",
                "sv",
                "vi",
                "ja",
            )
        ),
    )
    country_codes = country_codes_field()
    user = fields.Nested(LinkUser)
    user_id = fields.String()
    products = products_field(allow_none=True)
    required_if_supported_products = products_field(allow_none=True)
    optional_products = products_field(allow_none=True)
    additional_consented_products = products_field(allow_none=True)
    webhook = fields.Url(require_tld=False)
    access_token = fields.String(allow_none=True)
    redirect_uri = fields.String()
    hosted_link = fields.Nested(HostedLink)
    transactions = fields.Nested(LinkTransactions)
    update = fields.Nested(LinkUpdate)
    account_filters = fields.Nested(AccountFilters)
    institution_id = fields.String()

    class Meta(PlaidRequest.Meta):
        include = accepted(
            "access_tokens",
            "link_customization_name",
            "appearance_mode",
            "android_package_name",
            "institution_data",
            "card_switch",
            "eu_config",
            "payment_configuration",
            "payment_initiation",
            "employment",
            "income_verification",
            "base_report",
            "credit_partner_insights",
            "cra_options",
            "consumer_report_permissible_purpose",
            "auth",
            "transfer",
            "identity_verification",
            "statements",
            "third_party_user_token",
            "investments",
            "investments_auth",
            "cashflow_report",
            "cra_enabled",
            "identity",
            "financekit_supported",
            "enable_multi_item_link",
            "user_token",
        )

    @validates_schema
    def _user_and_products(self, data: dict[str, Any], **_: Any) -> None:
        if "user" not in data and "user_id" not in data:
            raise ValidationError("Missing data for required field.", "user")
        if not data.get("access_token") and not data.get("products"):
            raise ValidationError(
                "at least one product is required unless access_token is set", "products"
            )


class LinkTokenGetRequest(PlaidRequest):
    """``/link/token/get``."""

    link_token = fields.String(required=True)


class SandboxTransactionsOptions(PlaidRequest):
    start_date = fields.Date()
    end_date = fields.Date()
    days_requested = StrictInteger(validate=validate.Range(1, 730))


class SandboxPublicTokenOptions(PlaidRequest):
    webhook = fields.Url(require_tld=False)
    override_username = fields.String(allow_none=True, load_default="user_good")
    override_password = fields.String(allow_none=True, load_default="pass_good")
    transactions = fields.Nested(SandboxTransactionsOptions)

    class Meta(PlaidRequest.Meta):
        include = accepted("statements", "income_verification")


class SandboxPublicTokenCreateRequest(PlaidRequest):
    """``/sandbox/public_token/create``."""

    institution_id = fields.String(required=True)
    initial_products = products_field(required=True, validate=validate.Length(min=1))
    options = fields.Nested(
        SandboxPublicTokenOptions,
        load_default=lambda: {"override_username": "user_good", "override_password": "pass_good"},
    )

    class Meta(PlaidRequest.Meta):
        include = accepted("user_token", "user_id")


class SandboxFireWebhookRequest(AccessTokenRequest):
    """``/sandbox/item/fire_webhook``."""

    webhook_type = fields.String(
        validate=validate.OneOf(WEBHOOK_TYPES), load_default="TRANSACTIONS"
    )
    webhook_code = fields.String(required=True)


class CustomTransaction(PlaidRequest):
    date_transacted = fields.Date(required=True)
    date_posted = fields.Date(required=True)
    amount = fields.Decimal(required=True, places=2)
    description = fields.String(required=True, validate=validate.Length(min=1, max=200))
    iso_currency_code = fields.String(load_default="USD")


class SandboxTransactionsCreateRequest(AccessTokenRequest):
    """``/sandbox/transactions/create``."""

    transactions = fields.List(
        fields.Nested(CustomTransaction), required=True, validate=validate.Length(1, 10)
    )


class ItemImportUserAuth(PlaidRequest):
    user_id = fields.String(required=True)
    auth_token = fields.String(required=True)


class ItemImportOptions(PlaidRequest):
    webhook = fields.Url(require_tld=False)


class ItemImportRequest(PlaidRequest):
    """``/item/import``."""

    products = products_field(required=True, validate=validate.Length(min=1))
    user_auth = fields.Nested(ItemImportUserAuth, required=True)
    institution_id = fields.String()
    options = fields.Nested(ItemImportOptions, load_default=dict)
