"""Request schemas of Plaid's Link endpoints and ``/item/import``."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from .requests import (
    PlaidRequest,
    StrictBoolean,
    StrictInteger,
    WebhookUrl,
    country_codes_field,
    products_field,
)
from .spec_fields import spec_field


def http_url() -> fields.Url:
    """A URL the browser is sent to: http(s) only (never ``javascript:`` or ``data:``)."""
    return fields.Url(
        require_tld=False, schemes={"http", "https"}, validate=validate.Length(max=2048)
    )


class HostedLink(PlaidRequest):
    completion_redirect_uri = http_url()
    url_lifetime_seconds = StrictInteger(validate=validate.Range(60, 21 * 24 * 3600))
    is_mobile_app = StrictBoolean()
    delivery_method = spec_field("HostedLinkDeliveryMethod")  # ignored, as in Plaid's Sandbox


class LinkTransactions(PlaidRequest):
    days_requested = StrictInteger(validate=validate.Range(1, 730))


class LinkUpdate(PlaidRequest):
    account_selection_enabled = StrictBoolean(load_default=False)
    reauthorization_enabled = StrictBoolean()
    user = StrictBoolean()
    item_ids = fields.List(fields.String(), allow_none=True)


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
    user = spec_field("LinkTokenCreateRequestUser")
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
    # DIVERGES: ``account_filters.depository.limited_purpose_types`` is accepted and kept,
    # but no sandbox account is a limited purpose checking one.
    account_filters = spec_field("LinkTokenAccountFilters")
    institution_id = fields.String()
    # The routing number of the bank Link lists first (``core.link.config`` checks it).
    institution_data = spec_field("LinkTokenCreateInstitutionData")
    # Three reserved names choose Link's Account Select pane (``core.link.account_select``).
    link_customization_name = fields.String()

    # Stored and not acted on (``auth`` and ``statements``: see ``core.link.config``), but
    # typed as Plaid's document types them.
    access_tokens = fields.List(fields.String())
    appearance_mode = spec_field("LinkTokenCreateRequestAppearanceMode")
    android_package_name = fields.String()
    card_switch = spec_field("LinkTokenCreateCardSwitch")
    eu_config = spec_field("LinkTokenEUConfig")
    payment_configuration = spec_field("LinkTokenCreateRequestPaymentConfiguration")
    payment_initiation = spec_field("LinkTokenCreateRequestPaymentInitiation")
    employment = spec_field("LinkTokenCreateRequestEmployment")
    income_verification = spec_field("LinkTokenCreateRequestIncomeVerification")
    base_report = spec_field("LinkTokenCreateRequestBaseReport")
    credit_partner_insights = spec_field("LinkTokenCreateRequestCreditPartnerInsights")
    cra_options = spec_field("LinkTokenCreateRequestCraOptions")
    consumer_report_permissible_purpose = spec_field("ConsumerReportPermissiblePurpose")
    auth = spec_field("LinkTokenCreateRequestAuth")
    transfer = spec_field("LinkTokenCreateRequestTransfer")
    identity_verification = spec_field("LinkTokenCreateRequestIdentityVerification")
    statements = spec_field("LinkTokenCreateRequestStatements")
    third_party_user_token = fields.String()
    investments = spec_field("LinkTokenInvestments")
    investments_auth = spec_field("LinkTokenInvestmentsAuth")
    cashflow_report = spec_field("LinkTokenCashflowReport")
    cra_enabled = StrictBoolean()
    identity = spec_field("LinkTokenCreateIdentity")
    financekit_supported = StrictBoolean()
    enable_multi_item_link = StrictBoolean()
    user_token = fields.String()

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
