"""Plaid's Assets endpoints: create, get, PDF, refresh, filter, remove and audit copies.

The core keeps the report's request and reads its content off the ledger; this module
writes Plaid's ``AssetReport`` JSON (insights add the enriched transaction fields) and hands
the PDF over as ``application/pdf`` with the request id in a header, as Plaid does.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import fields, validate

from ..core.bank import AccountSection, Bank, Portfolio, ReportContent
from ..core.models import Item
from .auth import current_bank
from .blueprint import bp
from .credit_categories import credit_category
from .investments import holdings_json, securities_json, transactions_json
from .requests import PlaidRequest, StrictBoolean, StrictInteger, WebhookUrl
from .responses import TransactionSchema, account_json, money, timestamp
from .views import file_reply, load, reply

INSIGHT_KEYS = ("name", "merchant_name", "category", "category_id", "location", "payment_meta")
BASE_KEYS = (
    "transaction_id",
    "account_id",
    "amount",
    "iso_currency_code",
    "unofficial_currency_code",
    "original_description",
    "date",
    "pending",
)
KEPT_OPTIONS = ("client_report_id", "webhook", "user", "add_ons")
ADD_ONS = ("investments", "fast_assets")  # the spec's ``AssetReportAddOns``
TRANSACTIONS = TransactionSchema(many=True, original_description=True)
# The keys of Plaid's ``AssetReportInvestmentHolding``, ``…Security`` and ``…Transaction``
# (the document's and plaid-python 46's): the Investments endpoints' objects, fewer keys. The
# document requires a trade's ``vested_quantity`` and ``vested_value`` as numbers: nothing has
# a vesting schedule here, so a trade is vested whole.
HOLDING_KEYS = (
    "account_id", "security_id", "ticker_symbol", "institution_price", "institution_price_as_of",
    "institution_value", "cost_basis", "quantity", "iso_currency_code",
    "unofficial_currency_code", "vested_quantity", "vested_value",
)  # fmt: skip
SECURITY_KEYS = ("security_id", "name", "ticker_symbol", "type")
TRADE_KEYS = (
    "investment_transaction_id", "account_id", "security_id", "date", "name", "quantity",
    "amount", "price", "fees", "type", "subtype", "iso_currency_code", "unofficial_currency_code",
)  # fmt: skip


class AssetReportUser(PlaidRequest):
    client_user_id = fields.String(allow_none=True)
    first_name = fields.String(allow_none=True)
    middle_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    ssn = fields.String(allow_none=True)
    phone_number = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class AssetReportRefreshOptions(PlaidRequest):
    """``/asset_report/refresh``'s options (Plaid's ``AssetReportRefreshRequestOptions``): a
    refreshed report keeps the original's add-ons, so there is no field to change them."""

    client_report_id = fields.String(allow_none=True)
    webhook = WebhookUrl(allow_none=True)
    user = fields.Nested(AssetReportUser, allow_none=True)


class AssetReportOptions(AssetReportRefreshOptions):
    """``/asset_report/create``'s options."""

    include_fast_report = StrictBoolean(allow_none=True)
    products = fields.List(fields.String())
    add_ons = fields.List(fields.String(validate=validate.OneOf(ADD_ONS)))
    require_all_items = StrictBoolean(allow_none=True)


class AssetReportCreateRequest(PlaidRequest):
    """``/asset_report/create``."""

    access_tokens = fields.List(
        fields.String(), required=True, validate=validate.Length(min=1, max=99)
    )
    days_requested = StrictInteger(required=True, validate=validate.Range(0, 731))
    options = fields.Nested(AssetReportOptions, load_default=dict)


class DaysToInclude(PlaidRequest):
    days_to_include = StrictInteger(validate=validate.Range(0, 731), allow_none=True)


class AssetReportTokenRequest(PlaidRequest):
    """``/asset_report/remove``, ``/asset_report/audit_copy/create`` and the like."""

    asset_report_token = fields.String(required=True, validate=validate.Length(min=1, max=100))


class AssetReportGetRequest(AssetReportTokenRequest):
    """``/asset_report/get`` and ``/asset_report/pdf/get``."""

    include_insights = StrictBoolean(load_default=False)
    fast_report = StrictBoolean(load_default=False)
    options = fields.Nested(DaysToInclude, load_default=dict)


class AssetReportRefreshRequest(AssetReportTokenRequest):
    """``/asset_report/refresh``: omitted fields keep the original report's."""

    days_requested = StrictInteger(validate=validate.Range(0, 731), allow_none=True)
    options = fields.Nested(AssetReportRefreshOptions, allow_none=True)


class AssetReportFilterRequest(AssetReportTokenRequest):
    """``/asset_report/filter``."""

    account_ids_to_exclude = fields.List(fields.String(), required=True)


class AuditCopyCreateRequest(AssetReportTokenRequest):
    """``/asset_report/audit_copy/create``."""

    auditor_id = fields.String(load_default="", validate=validate.Length(max=64))


class AuditCopyRequest(PlaidRequest):
    """``/asset_report/audit_copy/get``, ``/pdf/get`` and ``/remove``."""

    audit_copy_token = fields.String(required=True, validate=validate.Length(min=1, max=100))


class AuditCopyPdfRequest(AuditCopyRequest):
    """``/asset_report/audit_copy/pdf/get``: Plaid gives it the report PDF's options."""

    options = fields.Nested(DaysToInclude, load_default=dict)


USER_KEYS = (
    "client_user_id", "first_name", "middle_name", "last_name", "ssn", "phone_number", "email"
)  # fmt: skip


def report_json(bank: Bank, report: ReportContent, insights: bool) -> dict[str, Any]:
    """Plaid's ``AssetReport``."""
    user = report.record.options.get("user") or {}
    return {
        "asset_report_id": report.record.report_id,
        "client_report_id": report.record.options.get("client_report_id"),
        "date_generated": timestamp(report.record.created_at),
        "days_requested": report.record.days_requested,
        "user": {key: user.get(key) for key in USER_KEYS},
        "items": [
            {
                "item_id": section.item.id,
                "institution_name": bank.institution_of(section.item).name,
                "institution_id": section.item.institution_id,
                "date_last_updated": timestamp(report.record.created_at),
                "accounts": [_account(bank, section.item, a, insights) for a in section.accounts],
            }
            for section in report.items
        ],
    }


def _account(bank: Bank, item: Item, section: AccountSection, insights: bool) -> dict[str, Any]:
    account = account_json(section.account)
    currency = account["balances"]["iso_currency_code"]
    account["balances"] = {
        **account["balances"],
        "current": money(section.current_minor),
        "available": money(section.available_minor),
        "margin_loan_amount": None,
    }
    keys = BASE_KEYS + (INSIGHT_KEYS if insights else ())
    owner = bank.owner(item)
    if section.investments is not None:
        account["investments"] = _investments(section.investments)
    return {
        **account,
        "days_available": section.days_available,
        "ownership_type": None,  # not modelled: null, as in Plaid's examples
        "transactions": [
            _transaction(t, keys, insights) for t in TRANSACTIONS.dump(section.transactions)
        ],
        "owners": [{k: owner[k] for k in ("names", "phone_numbers", "emails", "addresses")}],
        "historical_balances": [
            {
                "date": day.isoformat(),
                "current": money(value),
                "iso_currency_code": currency,
                "unofficial_currency_code": None,
            }
            for day, value in section.history
        ],
    }


def _transaction(full: dict[str, Any], keys: tuple[str, ...], insights: bool) -> dict[str, Any]:
    """An ``AssetReportTransaction``: insights add the enriched fields and the credit category."""
    shown = {k: full[k] for k in keys}
    if insights:
        shown["credit_category"] = credit_category(full["personal_finance_category"]["detailed"])
    return shown


def _investments(found: Portfolio) -> dict[str, Any]:
    """Plaid's ``AssetReportInvestments`` (the ``investments`` add-on)."""
    tickers = {s["security_id"]: s["ticker_symbol"] for s in securities_json(found)}
    return {
        "holdings": [
            {k: h.get(k) for k in HOLDING_KEYS} | {"ticker_symbol": tickers[h["security_id"]]}
            for h in holdings_json(found)
        ],
        "securities": [{k: s[k] for k in SECURITY_KEYS} for s in securities_json(found)],
        "transactions": [
            {k: t[k] for k in TRADE_KEYS}
            | {
                "vested_quantity": t["quantity"],
                "vested_value": round(t["quantity"] * t["price"], 2),
            }
            for t in transactions_json(found)
        ],
    }


def _pdf(bank: Bank, report: ReportContent) -> Response:
    owners = {s.item.pk: bank.owner(s.item)["names"][0] for s in report.items}
    body = bank.assets.pdf(report, owners)
    return file_reply(body, "application/pdf")


@bp.post("/asset_report/create")
def asset_report_create() -> Response:
    """Start a report over the items; ``PRODUCT_READY`` follows when it is built."""
    req = load(AssetReportCreateRequest)
    token, record = current_bank().assets.create(
        req["access_tokens"], req["days_requested"], _options(req["options"])
    )
    return reply(asset_report_token=token, asset_report_id=record.report_id)


def _options(options: dict[str, Any] | None) -> dict[str, Any]:
    """The options a report keeps (what its get and webhook need); the older
    ``include_fast_report: true`` asks for the ``fast_assets`` add-on."""
    kept = {k: v for k, v in (options or {}).items() if k in KEPT_OPTIONS}
    if (options or {}).get("include_fast_report"):
        kept["add_ons"] = sorted({*(kept.get("add_ons") or ()), "fast_assets"})
    return kept


@bp.post("/asset_report/get")
def asset_report_get() -> Response:
    """The report as JSON; ``include_insights`` adds names, merchants and categories."""
    req = load(AssetReportGetRequest)
    bank = current_bank()
    report = bank.assets.get(
        req["asset_report_token"], req["options"].get("days_to_include"), fast=req["fast_report"]
    )
    return reply(report=report_json(bank, report, req["include_insights"]), warnings=[])


@bp.post("/asset_report/pdf/get")
def asset_report_pdf_get() -> Response:
    """The report as a PDF."""
    req = load(AssetReportGetRequest)
    bank = current_bank()
    return _pdf(
        bank, bank.assets.get(req["asset_report_token"], req["options"].get("days_to_include"))
    )


@bp.post("/asset_report/refresh")
def asset_report_refresh() -> Response:
    """A new report over the same items with today's data."""
    req = load(AssetReportRefreshRequest)
    options = req.get("options")
    token, record = current_bank().assets.refresh(
        req["asset_report_token"],
        req.get("days_requested"),
        None if options is None else _options(options),
    )
    return reply(asset_report_token=token, asset_report_id=record.report_id)


@bp.post("/asset_report/filter")
def asset_report_filter() -> Response:
    """A new report of the same day without some accounts."""
    req = load(AssetReportFilterRequest)
    token, record = current_bank().assets.filter(
        req["asset_report_token"], req["account_ids_to_exclude"]
    )
    return reply(asset_report_token=token, asset_report_id=record.report_id)


@bp.post("/asset_report/remove")
def asset_report_remove() -> Response:
    """Remove the report and its audit copies."""
    req = load(AssetReportTokenRequest)
    current_bank().assets.remove(req["asset_report_token"])
    return reply(removed=True)


@bp.post("/asset_report/audit_copy/create")
def asset_report_audit_copy_create() -> Response:
    """A token an auditor reads the report with."""
    req = load(AuditCopyCreateRequest)
    token = current_bank().assets.create_audit_copy(req["asset_report_token"], req["auditor_id"])
    return reply(audit_copy_token=token)


@bp.post("/asset_report/audit_copy/get")
def asset_report_audit_copy_get() -> Response:
    """The report behind an audit copy, as ``/asset_report/get`` gives it."""
    req = load(AuditCopyRequest)
    bank = current_bank()
    report = bank.assets.audit_copy(req["audit_copy_token"])
    return reply(report=report_json(bank, report, False), warnings=[])


@bp.post("/asset_report/audit_copy/pdf/get")
def asset_report_audit_copy_pdf_get() -> Response:
    """The report behind an audit copy, as a PDF."""
    req = load(AuditCopyPdfRequest)
    bank = current_bank()
    return _pdf(
        bank, bank.assets.audit_copy(req["audit_copy_token"], req["options"].get("days_to_include"))
    )


@bp.post("/asset_report/audit_copy/remove")
def asset_report_audit_copy_remove() -> Response:
    """The audit copy stops working; the report stays."""
    req = load(AuditCopyRequest)
    current_bank().assets.remove_audit_copy(req["audit_copy_token"])
    return reply(removed=True)
