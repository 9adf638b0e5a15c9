"""Request schemas of Plaid's Link endpoints and ``/item/import``."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from .requests import (
    PlaidRequest,
    StrictBoolean,
    StrictInteger,
    WebhookUrl,
    accepted,
    country_codes_field,
    products_field,
)


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


def http_url() -> fields.Url:
    """A URL the browser is sent to: http(s) only (never ``javascript:`` or ``data:``)."""
    return fields.Url(
        require_tld=False, schemes={"http", "https"}, validate=validate.Length(max=2048)
    )


class HostedLink(PlaidRequest):
    completion_redirect_uri = http_url()
    url_lifetime_seconds = StrictInteger(validate=validate.Range(60, 21 * 24 * 3600))
    is_mobile_app = StrictBoolean()
    delivery_method = fields.String()


class LinkTransactions(PlaidRequest):
    days_requested = StrictInteger(validate=validate.Range(1, 730))


class LinkUpdate(PlaidRequest):
    account_selection_enabled = StrictBoolean(load_default=False)

    class Meta(PlaidRequest.Meta):
        include = accepted("reauthorization_enabled", "user", "item_ids")


class SubtypeFilter(PlaidRequest):
    """Which subtypes of one account type Link offers (``["all"]`` for every one)."""

    account_subtypes = fields.List(fields.String(), required=True)


class DepositoryFilter(SubtypeFilter):
    """Depository accounts: subtypes, and Plaid's ``limited_purpose_types``."""

    # DIVERGES: accepted and kept, but no sandbox account is a limited purpose checking one.
    limited_purpose_types = fields.List(fields.String(validate=validate.OneOf(("RENT_MORTGAGE",))))


class AccountFilters(PlaidRequest):
    """``account_filters``: the account types (and subtypes) Link offers."""

    depository = fields.Nested(DepositoryFilter)
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
    webhook = WebhookUrl()
    access_token = fields.String(allow_none=True)
    redirect_uri = http_url()
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


class ItemImportUserAuth(PlaidRequest):
    user_id = fields.String(required=True)
    auth_token = fields.String(required=True)


class ItemImportOptions(PlaidRequest):
    webhook = WebhookUrl()


class ItemImportRequest(PlaidRequest):
    """``/item/import``."""

    products = products_field(required=True, validate=validate.Length(min=1))
    user_auth = fields.Nested(ItemImportUserAuth, required=True)
    institution_id = fields.String()
    options = fields.Nested(ItemImportOptions, load_default=dict)
