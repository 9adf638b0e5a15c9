"""Contract: every Plaid endpoint's real reply satisfies the OpenAPI schema and the SDK.

Each test links one kind of item, calls every endpoint that works on it, and checks
each reply twice: against the response schema in Plaid's OpenAPI file, and through
plaid-python's own deserializer with type checking on (a missing required key or a
date where a timestamp belongs fails there).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from sandbox.core.webhooks import signing
from sandbox.extensions import db
from tests.api.plaid import contract
from tests.conftest import FROZEN_NOW, PlaidClient

CUSTOM_PASSWORD = json.dumps(
    {
        "override_accounts": [
            {
                "type": "depository",
                "subtype": "checking",
                "starting_balance": 1500,
                "meta": {"name": "Custom Checking"},
                "transactions": [
                    {
                        "date_transacted": "2026-03-10",
                        "date_posted": "2026-03-11",
                        "amount": 12.5,
                        "description": "Coffee",
                    },
                    {
                        "date_transacted": "2026-03-15",
                        "date_posted": "2026-03-18",
                        "amount": 40,
                        "description": "Pending groceries",
                    },
                ],
            },
            {"type": "credit", "subtype": "credit card", "starting_balance": 300},
        ]
    }
)

ITEM_KINDS = {
    "user_good_us": ("ins_109508", "user_good", "pass_good"),
    "gb_bank": ("ins_117650", "user_good", "pass_good"),
    "ca_bank": ("ins_43", "user_good", "pass_good"),
    "dynamic": ("ins_109508", "user_transactions_dynamic", "any"),
    "custom": ("ins_109508", "user_custom", CUSTOM_PASSWORD),
}
ITEM_ENDPOINTS = {
    "/item/get",
    "/accounts/get",
    "/accounts/balance/get",
    "/auth/get",
    "/liabilities/get",
    "/investments/holdings/get",
    "/investments/transactions/get",
    "/investments/auth/get",
    "/investments/refresh",
    "/statements/list",
    "/statements/download",
    "/statements/refresh",
    "/identity/get",
    "/transactions/sync",
    "/transactions/get",
    "/transactions/recurring/get",
    "/transactions/refresh",
    "/item/webhook/update",
    "/sandbox/item/fire_webhook",
    "/sandbox/item/reset_login",
    "/item/access_token/invalidate",
    "/item/remove",
}
ASSET_ENDPOINTS = {
    "/asset_report/create",
    "/asset_report/get",
    "/asset_report/pdf/get",
    "/asset_report/refresh",
    "/asset_report/filter",
    "/asset_report/remove",
    "/asset_report/audit_copy/create",
    "/asset_report/audit_copy/get",
    "/asset_report/audit_copy/pdf/get",
    "/asset_report/audit_copy/remove",
}
INVESTMENT_ENDPOINTS = {p for p in ITEM_ENDPOINTS if p.startswith("/investments/")}
OTHER_ENDPOINTS = {
    "/sandbox/public_token/create",
    "/item/public_token/exchange",
    "/item/import",
    "/sandbox/transactions/create",
    "/categories/get",
    "/institutions/get",
    "/institutions/get_by_id",
    "/institutions/search",
    "/link/token/create",
    "/link/token/get",
    "/webhook_verification_key/get",
}


# The institution options whose keys plaid-python reads only when asked for.
METADATA = {"include_auth_metadata": True, "include_payment_initiation_metadata": True}


class Checker:
    """Calls endpoints and collects every contract violation instead of stopping at one."""

    def __init__(self, plaid: PlaidClient) -> None:
        self.plaid = plaid
        self.problems: list[str] = []
        self.checked: set[str] = set()

    def call(self, path: str, **body: Any) -> dict[str, Any]:
        reply = self.plaid.ok(path, **body)
        self.check(path, reply)
        return reply

    def check(self, path: str, reply: dict[str, Any]) -> None:
        self.checked.add(path)
        reply = contract.sample(reply)
        self.problems += [f"{path} openapi {e}" for e in contract.openapi_errors(path, reply)]
        try:
            contract.sdk_deserialize(path, reply)
        except Exception as exc:  # the SDK raises TypeError, ApiTypeError, ApiValueError...
            self.problems.append(f"{path} sdk {type(exc).__name__}: {exc}")


def _link(plaid: PlaidClient, institution: str, username: str, password: str, *extra: str) -> str:
    products = ["transactions"] if institution != "ins_109508" else ["transactions", "auth"]
    products += extra
    checker = Checker(plaid)
    public = checker.call(
        "/sandbox/public_token/create",
        institution_id=institution,
        initial_products=products,
        options={"override_username": username, "override_password": password},
    )["public_token"]
    token: str = checker.call("/item/public_token/exchange", public_token=public)["access_token"]
    assert not checker.problems, checker.problems
    return token


def _sweep_item(checker: Checker, token: str) -> None:
    """Every item endpoint, ending with the calls that break or remove the item."""
    checker.call("/item/get", access_token=token)
    checker.call("/accounts/get", access_token=token)
    checker.call("/accounts/balance/get", access_token=token)
    if checker.plaid.post("/auth/get", access_token=token).status_code == 200:
        checker.call("/auth/get", access_token=token)
    if checker.plaid.post("/liabilities/get", access_token=token).status_code == 200:
        checker.call("/liabilities/get", access_token=token)
    _sweep_investments(checker, token)
    checker.call("/identity/get", access_token=token)
    _sweep_statements(checker, token)
    cursor, more = "", True
    while more:
        page = checker.call("/transactions/sync", access_token=token, cursor=cursor, count=500)
        cursor, more = page["next_cursor"], page["has_more"]
    checker.call(
        "/transactions/get",
        access_token=token,
        start_date="2025-01-01",
        end_date="2026-03-16",
        options={"count": 500, "include_original_description": True},
    )
    checker.call("/transactions/recurring/get", access_token=token)
    checker.call("/transactions/refresh", access_token=token)
    checker.call("/transactions/sync", access_token=token, cursor=cursor)
    checker.call("/item/webhook/update", access_token=token, webhook="https://example.com/hook")
    checker.call("/sandbox/item/fire_webhook", access_token=token, webhook_code="DEFAULT_UPDATE")
    checker.call("/sandbox/item/reset_login", access_token=token)
    checker.call("/item/get", access_token=token)  # now with item.error set
    token = checker.call("/item/access_token/invalidate", access_token=token)["new_access_token"]
    checker.call("/item/remove", access_token=token)


def _sweep_investments(checker: Checker, token: str) -> None:
    """The Investments endpoints, on items whose bank offers them and that hold investments."""
    if checker.plaid.post("/investments/holdings/get", access_token=token).status_code != 200:
        return
    checker.call("/investments/holdings/get", access_token=token)
    checker.call(
        "/investments/transactions/get",
        access_token=token,
        start_date="2025-01-01",
        end_date="2026-03-16",
        options={"count": 500},
    )
    checker.call("/investments/auth/get", access_token=token)
    checker.call("/investments/refresh", access_token=token)


def _sweep_statements(checker: Checker, token: str) -> None:
    """Statements where the bank offers them: the list (JSON), one PDF, and a refresh."""
    if checker.plaid.post("/statements/list", access_token=token).status_code != 200:
        return
    listed = checker.call("/statements/list", access_token=token)
    first = next(s for a in listed["accounts"] for s in a["statements"])
    _check_pdf(
        checker, "/statements/download", access_token=token, statement_id=first["statement_id"]
    )
    checker.call(
        "/statements/refresh", access_token=token, start_date="2026-01-01", end_date="2026-03-01"
    )


STATEMENT_ENDPOINTS = {"/statements/list", "/statements/download", "/statements/refresh"}


@pytest.mark.parametrize("kind", sorted(ITEM_KINDS))
def test_item_endpoints_replies_match_openapi_and_sdk(plaid: PlaidClient, kind: str) -> None:
    token = _link(plaid, *ITEM_KINDS[kind])
    checker = Checker(plaid)
    _sweep_item(checker, token)
    assert not checker.problems, "\n".join(checker.problems[:20])
    optional = {"/auth/get", "/liabilities/get"} | INVESTMENT_ENDPOINTS | STATEMENT_ENDPOINTS
    assert checker.checked >= ITEM_ENDPOINTS - optional
    if kind in ("user_good_us", "ca_bank"):  # banks that offer Investments, persona with a 401k
        assert checker.checked >= INVESTMENT_ENDPOINTS
    if ITEM_KINDS[kind][0] == "ins_109508":
        assert checker.checked >= STATEMENT_ENDPOINTS


def test_catalogue_link_and_sandbox_endpoints_replies_match_openapi_and_sdk(
    app: Flask, plaid: PlaidClient
) -> None:
    checker = Checker(plaid)
    for institution in ("ins_109508", "ins_117650", "ins_43"):
        public = checker.call(
            "/sandbox/public_token/create",
            institution_id=institution,
            initial_products=["transactions"],
        )["public_token"]
        checker.call("/item/public_token/exchange", public_token=public)
    checker.call(
        "/item/import",
        products=["transactions"],
        user_auth={"user_id": "user_good", "auth_token": "pass_good"},
    )
    dynamic = _link(plaid, "ins_109508", "user_transactions_dynamic", "x")
    checker.call(
        "/sandbox/transactions/create",
        access_token=dynamic,
        transactions=[
            {
                "date_transacted": "2026-03-14",
                "date_posted": "2026-03-15",
                "amount": 9.99,
                "description": "Contract test",
            }
        ],
    )
    checker.check("/categories/get", plaid.client.post("/categories/get", json={}).get_json())
    for options in ({}, {"include_optional_metadata": True}, {"products": ["auth"]}, METADATA):
        checker.call("/institutions/get", count=10, offset=0, country_codes=["US"], options=options)
    checker.call("/institutions/get", count=5, offset=0, country_codes=["GB", "CA"])
    for institution, country in (("ins_109508", "US"), ("ins_117650", "GB"), ("ins_43", "CA")):
        checker.call(
            "/institutions/get_by_id",
            institution_id=institution,
            country_codes=[country],
            options={"include_optional_metadata": True, "include_status": True, **METADATA},
        )
        checker.call("/institutions/get_by_id", institution_id=institution, country_codes=[country])
    checker.call("/institutions/search", query="Platypus", country_codes=["US"])
    checker.call(
        "/institutions/search",
        query="Plaid",
        country_codes=["GB"],
        products=["transactions"],
        options={"include_optional_metadata": True, **METADATA},
    )
    link = {
        "client_name": "Contract",
        "language": "en",
        "country_codes": ["US"],
        "user": {"client_user_id": "user-1"},
    }
    plain = checker.call("/link/token/create", products=["transactions"], **link)
    hosted = checker.call(
        "/link/token/create",
        products=["auth"],
        hosted_link={},
        redirect_uri="https://example.com/oauth",
        webhook="https://example.com/hook",
        **link,
    )
    checker.call("/link/token/create", access_token=dynamic, **link)
    checker.call("/link/token/get", link_token=plain["link_token"])
    checker.call("/link/token/get", link_token=hosted["link_token"])
    tenant = plaid_tenant(plaid)
    key = signing.current_key(db.session, tenant, FROZEN_NOW)
    checker.call("/webhook_verification_key/get", key_id=key.kid)
    checker.call("/webhook_verification_key/get", key_id=signing.SDK_TEST_KID)
    assert not checker.problems, "\n".join(checker.problems[:20])
    assert checker.checked == OTHER_ENDPOINTS


PRODUCT_ENDPOINTS = {
    "/identity/match",
    "/processor/token/create",
    "/processor/auth/get",
    "/processor/balance/get",
    "/processor/identity/get",
    "/processor/transactions/sync",
    "/signal/prepare",
    "/signal/evaluate",
    "/signal/decision/report",
    "/signal/return/report",
    "/sandbox/item/set_verification_status",
}


# The processor twins a partner calls beyond the four above, the token's settings (permissions
# and webhook), and the sandbox's shortcut to a processor token (swept in test_processor_partner).
PROCESSOR_TWINS = {
    "/sandbox/processor_token/create",
    "/processor/token/permissions/set",
    "/processor/token/permissions/get",
    "/processor/token/webhook/update",
    "/processor/account/get",
    "/processor/identity/match",
    "/processor/liabilities/get",
    "/processor/investments/holdings/get",
    "/processor/investments/auth/get",
    "/processor/investments/transactions/get",
    "/processor/transactions/get",
    "/processor/transactions/refresh",
    "/processor/transactions/recurring/get",
    "/processor/signal/prepare",
    "/processor/signal/evaluate",
    "/processor/signal/decision/report",
    "/processor/signal/return/report",
}


def _sweep_processor(checker: Checker, token: str, account_id: str) -> None:
    processor = checker.call(
        "/processor/token/create", access_token=token, account_id=account_id, processor="dwolla"
    )["processor_token"]
    checker.call("/processor/auth/get", processor_token=processor)
    checker.call("/processor/balance/get", processor_token=processor)
    checker.call("/processor/identity/get", processor_token=processor)
    cursor, more = "", True
    while more:
        page = checker.call(
            "/processor/transactions/sync", processor_token=processor, cursor=cursor
        )
        cursor, more = page["next_cursor"], page["has_more"]


@pytest.mark.parametrize("institution", ["ins_109508", "ins_117650", "ins_43"])
def test_identity_match_and_processor_replies_match_openapi_and_sdk(
    plaid: PlaidClient, institution: str
) -> None:
    token = _link(plaid, institution, "user_good", "pass_good")
    checker = Checker(plaid)
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    checker.call("/identity/match", access_token=token, user={"legal_name": "Alberta Charleson"})
    checker.call(
        "/identity/match",
        access_token=token,
        user={
            "legal_name": "Jo Bloggs LLC",
            "phone_number": "+14155550123",
            "email_address": "jo@example.com",
            "address": {"street": "1 Main St", "city": "Town", "postal_code": "12345"},
        },
    )
    _sweep_processor(checker, token, accounts[0]["account_id"])
    assert not checker.problems, "\n".join(checker.problems[:20])


def test_signal_replies_match_openapi_and_sdk(plaid: PlaidClient) -> None:
    checker = Checker(plaid)
    token = _link(plaid, "ins_109508", "user_good", "pass_good")
    account = plaid.ok("/accounts/get", access_token=token)["accounts"][0]["account_id"]
    checker.call("/signal/prepare", access_token=token)
    for n, amount in enumerate((100.0, 27.53, 12.17, 50000.0)):
        checker.call(
            "/signal/evaluate",
            access_token=token,
            account_id=account,
            client_transaction_id=f"txn-{n}",
            amount=amount,
        )
    checker.call(
        "/signal/decision/report",
        client_transaction_id="txn-0",
        initiated=True,
        days_funds_on_hold=2,
        decision_outcome="APPROVE",
        payment_method="STANDARD_ACH",
        amount_instantly_available=50.0,
        submitted_at="2026-03-16T15:30:00Z",
    )
    checker.call("/signal/return/report", client_transaction_id="txn-0", return_code="R01")
    plaid.ok("/sandbox/item/reset_login", access_token=token)
    checker.call(
        "/signal/evaluate",
        access_token=token,
        account_id=account,
        client_transaction_id="txn-warn",
        amount=10.0,
    )
    assert not checker.problems, "\n".join(checker.problems[:20])
    assert checker.checked == {p for p in PRODUCT_ENDPOINTS if p.startswith("/signal/")}


def test_micro_deposit_replies_match_openapi_and_sdk(plaid: PlaidClient) -> None:
    """``verification_status`` before and after ``/sandbox/item/set_verification_status``."""
    token = _link(plaid, "ins_109508", "user_good", "microdeposits_good")
    checker = Checker(plaid)
    accounts = checker.call("/accounts/get", access_token=token)["accounts"]
    pending = next(a for a in accounts if a["verification_status"])
    checker.call(
        "/sandbox/item/set_verification_status",
        access_token=token,
        account_id=pending["account_id"],
        verification_status="automatically_verified",
    )
    checker.call("/auth/get", access_token=token)
    assert not checker.problems, "\n".join(checker.problems[:20])
    assert checker.checked == {
        "/accounts/get",
        "/sandbox/item/set_verification_status",
        "/auth/get",
    }


def test_asset_report_endpoints_replies_match_openapi_and_sdk(plaid: PlaidClient) -> None:
    """Every Assets call on a report over two items (one US bank, one CA bank)."""
    tokens = [_link(plaid, "ins_109508", "user_good", "pass_good", "assets")]
    tokens.append(_link(plaid, "ins_43", "user_yuppie", "pass_good", "assets"))
    checker = Checker(plaid)
    user = {"client_user_id": "u-1", "first_name": "Alberta", "last_name": "Charleson"}
    created = checker.call(
        "/asset_report/create",
        access_tokens=tokens,
        days_requested=60,
        options={"client_report_id": "c-1", "user": user, "webhook": "https://example.com/a"},
    )
    report = created["asset_report_token"]
    checker.call("/asset_report/get", asset_report_token=report)
    checker.call("/asset_report/get", asset_report_token=report, include_insights=True)
    _check_pdf(checker, "/asset_report/pdf/get", asset_report_token=report)
    refreshed = checker.call("/asset_report/refresh", asset_report_token=report)
    account = checker.plaid.ok("/accounts/get", access_token=tokens[0])["accounts"][0]
    checker.call(
        "/asset_report/filter",
        asset_report_token=refreshed["asset_report_token"],
        account_ids_to_exclude=[account["account_id"]],
    )
    copy = checker.call("/asset_report/audit_copy/create", asset_report_token=report)
    checker.call("/asset_report/audit_copy/get", audit_copy_token=copy["audit_copy_token"])
    _check_pdf(
        checker, "/asset_report/audit_copy/pdf/get", audit_copy_token=copy["audit_copy_token"]
    )
    checker.call("/asset_report/audit_copy/remove", audit_copy_token=copy["audit_copy_token"])
    checker.call("/asset_report/remove", asset_report_token=report)
    assert not checker.problems, "\n".join(checker.problems[:20])
    assert checker.checked == ASSET_ENDPOINTS


def _check_pdf(checker: Checker, path: str, **body: Any) -> None:
    """PDF replies have no JSON schema: the SDK writes the bytes to a file as they come."""
    reply = checker.plaid.post(path, **body)
    if reply.mimetype != "application/pdf" or not reply.data.startswith(b"%PDF-"):
        checker.problems.append(f"{path} sent {reply.status_code} {reply.mimetype}")
    checker.checked.add(path)


def plaid_tenant(plaid: PlaidClient) -> Any:
    """The tenant behind the test client's keys."""
    from sandbox.core import tenants

    return tenants.authenticate(db.session, plaid.client_id, plaid.secret)


# Plaid's example nests the ``liabilities`` status inside ``investments``; its schema (and the
# sandbox) has it beside.
EXAMPLE_SLIP = "/institutions/get_by_id institution.status.investments.liabilities"


def test_replies_carry_every_key_of_plaids_own_examples(plaid: PlaidClient) -> None:
    """Auth numbers, holdings, securities, Asset report accounts and institution status (with
    every option on) have each key Plaid's example replies show."""
    token = _link(plaid, "ins_109508", "user_good", "pass_good", "investments", "assets")
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    checking, ira = (
        next(a["account_id"] for a in accounts if a["subtype"] == subtype)
        for subtype in ("checking", "ira")
    )
    processor = {
        account: plaid.ok(
            "/processor/token/create", access_token=token, account_id=account, processor="dwolla"
        )["processor_token"]
        for account in (checking, ira)
    }
    span = {"start_date": "2025-01-01", "end_date": "2026-03-16"}
    report = plaid.ok("/asset_report/create", access_tokens=[token], days_requested=30)
    calls: list[tuple[str, dict[str, Any]]] = [
        ("/auth/get", {"access_token": token}),
        ("/processor/auth/get", {"processor_token": processor[checking]}),
        ("/investments/holdings/get", {"access_token": token}),
        ("/investments/transactions/get", {"access_token": token, **span}),
        ("/investments/auth/get", {"access_token": token}),
        ("/processor/investments/holdings/get", {"processor_token": processor[ira]}),
        ("/asset_report/get", {"asset_report_token": report["asset_report_token"]}),
        (
            "/institutions/get_by_id",
            {
                "institution_id": "ins_109508",
                "country_codes": ["US"],
                "options": {"include_optional_metadata": True, "include_status": True},
            },
        ),
    ]
    gaps, subtypes = [], set()
    for path, body in calls:
        reply = plaid.ok(path, **body)
        gaps += [f"{path} {key}" for key in contract.example_key_gaps(path, reply)]
        subtypes |= {s.get("subtype") for s in reply.get("securities", ())}
    assert set(gaps) == {EXAMPLE_SLIP}, "\n".join(gaps)
    assert None not in subtypes and {"common stock", "etf", "mutual fund", "cash"} & subtypes


# Database Auth without Link, the on-demand identity refresh and the offboarding call.
VERIFY_REFRESH_TERMINATE = {"/auth/verify", "/identity/refresh", "/item/products/terminate"}


def test_verify_refresh_and_terminate_replies_and_errors_match_openapi_and_sdk(
    plaid: PlaidClient,
) -> None:
    checker = Checker(plaid)
    for account in ("1111222233331111", "1111222233333333", "9876543210"):
        for name in ("John Smith", None):
            numbers = {"ach": {"account": account, "routing": "021000021"}}
            checker.call("/auth/verify", numbers=numbers, legal_name=name)
    checker.call("/auth/verify", numbers={"ach": {"account": "12345678", "routing": "123456789"}})
    token = _link(plaid, "ins_109508", "user_good", "pass_good")
    checker.call("/identity/refresh", access_token=token)
    checker.call("/item/products/terminate", access_token=token, reason_code="OTHER")
    cases = [
        ("/auth/verify", {"numbers": {"ach": {"account": "1", "routing": "021000021"}}}),
        ("/identity/refresh", {"access_token": token}),  # terminated above
        ("/item/products/terminate", {"access_token": token, "reason_code": "NOPE"}),
    ]
    codes = []
    for path, body in cases:
        error = plaid.error(path, **body)
        codes.append((error.pop("http_status"), error["error_code"]))
        checker.problems += [f"{path} {p}" for p in contract.error_errors(error)]
    assert not checker.problems, "\n".join(checker.problems[:20])
    assert codes == [(400, "INVALID_FIELD"), (400, "ITEM_NOT_FOUND"), (400, "INVALID_FIELD")]
    assert checker.checked == VERIFY_REFRESH_TERMINATE


# Stripe's token, Enrich and Signal's schedule (swept below).
PAYOUT_AND_ENRICH_ENDPOINTS = {
    "/processor/stripe/bank_account_token/create",
    "/transactions/enrich",
    "/signal/schedule",
}


def test_stripe_token_enrich_and_schedule_replies_match_openapi_and_sdk(plaid: PlaidClient) -> None:
    token = _link(plaid, "ins_109508", "user_good", "pass_good")
    account = plaid.ok("/accounts/get", access_token=token)["accounts"][0]["account_id"]
    checker = Checker(plaid)
    checker.call(
        "/processor/stripe/bank_account_token/create", access_token=token, account_id=account
    )
    rows = [
        ("STARBUCKS STORE #1234", "OUTFLOW", {"city": "Brooklyn", "region": "NY"}),
        ("GLOBEX CORP DIRECT DEP", "INFLOW", {}),
        ("ZELLE TO JANE 0001", "OUTFLOW", {}),
        ("MONTHLY MAINTENANCE FEE", "OUTFLOW", {}),
        ("QWERTY 7", "INFLOW", {}),
    ]
    for version in ("v1", "v2"):
        checker.call(
            "/transactions/enrich",
            account_type="depository",
            transactions=[
                {
                    "id": f"t-{n}",
                    "description": description,
                    "amount": 12.5,
                    "direction": direction,
                    "iso_currency_code": "USD",
                    "location": location,
                    "mcc": "5814",
                    "date_posted": "2026-03-10",
                }
                for n, (description, direction, location) in enumerate(rows)
            ],
            options={"include_legacy_category": True, "personal_finance_category_version": version},
        )
    schedule = {"access_token": token, "account_id": account, "client_transaction_id": "s-1"}
    for amount, method in ((1.0, "SAME_DAY_ACH"), (10_000_000.0, None)):
        checker.call("/signal/schedule", **schedule, amount=amount, default_payment_method=method)
    plaid.ok("/sandbox/item/reset_login", access_token=token)
    checker.call("/signal/schedule", **schedule, amount=1.0)  # every day UNKNOWN, a warning
    assert not checker.problems, "\n".join(checker.problems[:20])
    assert checker.checked == PAYOUT_AND_ENRICH_ENDPOINTS


def test_every_plaid_endpoint_has_a_contract_sweep(app: Flask) -> None:
    routes = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("plaid.")}
    assert (
        routes
        == (
            ITEM_ENDPOINTS | OTHER_ENDPOINTS | PRODUCT_ENDPOINTS | ASSET_ENDPOINTS | PROCESSOR_TWINS
        )
        | VERIFY_REFRESH_TERMINATE
        | PAYOUT_AND_ENRICH_ENDPOINTS
    )


def test_contract_checker_rejects_missing_key_and_date_only_timestamp() -> None:
    good = {"new_access_token": "access-sandbox-x", "request_id": "r"}
    assert contract.openapi_errors("/item/access_token/invalidate", good) == []
    contract.sdk_deserialize("/item/access_token/invalidate", good)
    missing = {"request_id": "r"}
    assert contract.openapi_errors("/item/access_token/invalidate", missing)
    with pytest.raises(Exception, match="new_access_token"):
        contract.sdk_deserialize("/item/access_token/invalidate", missing)
    date_only = {"link_token": "l", "expiration": "2026-03-16", "request_id": "r"}
    assert contract.openapi_errors("/link/token/create", date_only)
    with pytest.raises(Exception):  # noqa: B017 - the SDK raises ApiValueError/TypeError
        contract.sdk_deserialize("/link/token/create", date_only)


# Error replies: one representative failure of every endpoint issue 15 added ----------------

ISSUE_15_ENDPOINTS = (
    INVESTMENT_ENDPOINTS | ASSET_ENDPOINTS | STATEMENT_ENDPOINTS | PRODUCT_ENDPOINTS
) | {"/webhook_verification_key/get"}
UNKNOWN_REPORT = "assets-sandbox-00000000-0000-0000-0000-000000000000"
UNKNOWN_COPY = "a-sandbox-00000000-0000-0000-0000-000000000000"
UNKNOWN_PROCESSOR = "processor-sandbox-00000000-0000-0000-0000-000000000000"


def test_issue_15_error_replies_match_openapi_and_sdk(plaid: PlaidClient) -> None:
    """Each new endpoint's representative error is Plaid's error object: the ``PlaidError``
    schema of the OpenAPI document, plaid-python's ``PlaidError`` model, the expected code,
    and JSON even where the success is a PDF."""
    us = _link(plaid, "ins_109508", "user_good", "pass_good")
    gb = _link(plaid, "ins_117650", "user_good", "pass_good")
    md = _link(plaid, "ins_109508", "user_good", "microdeposits_good")
    broken = _link(plaid, "ins_109508", "user_good", "pass_good")
    plaid.ok("/sandbox/item/reset_login", access_token=broken)
    accounts = plaid.ok("/accounts/get", access_token=us)["accounts"]
    card = next(a["account_id"] for a in accounts if a["type"] == "credit")
    card_token = plaid.ok(
        "/processor/token/create", access_token=us, account_id=card, processor="dwolla"
    )["processor_token"]
    settled = next(
        a["account_id"]
        for a in plaid.ok("/accounts/get", access_token=md)["accounts"]
        if not a.get("verification_status")
    )
    evaluate = {
        "access_token": us,
        "account_id": accounts[0]["account_id"],
        "client_transaction_id": "txn-error-sweep",
        "amount": 10.0,
    }
    plaid.ok("/signal/evaluate", **evaluate)
    backwards = {"start_date": "2026-03-01", "end_date": "2026-01-01"}
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/investments/holdings/get", {"access_token": gb}, "PRODUCTS_NOT_SUPPORTED"),
        ("/investments/transactions/get", {"access_token": us, **backwards}, "INVALID_FIELD"),
        ("/investments/auth/get", {"access_token": gb}, "PRODUCTS_NOT_SUPPORTED"),
        ("/investments/refresh", {"access_token": gb}, "PRODUCTS_NOT_SUPPORTED"),
        (
            "/asset_report/create",
            {"access_tokens": [f"{us}-unknown"], "days_requested": 30},
            "INVALID_ACCESS_TOKEN",
        ),
        *[
            (path, {"asset_report_token": UNKNOWN_REPORT}, "INVALID_ASSET_REPORT_TOKEN")
            for path in (
                "/asset_report/get",
                "/asset_report/pdf/get",
                "/asset_report/refresh",
                "/asset_report/remove",
                "/asset_report/audit_copy/create",
            )
        ],
        (
            "/asset_report/filter",
            {"asset_report_token": UNKNOWN_REPORT, "account_ids_to_exclude": [card]},
            "INVALID_ASSET_REPORT_TOKEN",
        ),
        *[
            (path, {"audit_copy_token": UNKNOWN_COPY}, "INVALID_AUDIT_COPY_TOKEN")
            for path in (
                "/asset_report/audit_copy/get",
                "/asset_report/audit_copy/pdf/get",
                "/asset_report/audit_copy/remove",
            )
        ],
        ("/signal/prepare", {"access_token": gb}, "PRODUCTS_NOT_SUPPORTED"),
        ("/signal/evaluate", {**evaluate, "amount": 11.0}, "CLIENT_TRANSACTION_ID_ALREADY_IN_USE"),
        (
            "/signal/decision/report",
            {"client_transaction_id": "never-evaluated", "initiated": True},
            "INVALID_FIELD",
        ),
        (
            "/signal/return/report",
            {"client_transaction_id": "txn-error-sweep", "return_code": "X1"},
            "INVALID_FIELD",
        ),
        (
            "/identity/match",
            {"access_token": broken, "user": {"legal_name": "Jo Bloggs"}},
            "ITEM_LOGIN_REQUIRED",
        ),
        (
            "/processor/token/create",
            {"access_token": us, "account_id": "unknown", "processor": "dwolla"},
            "INVALID_ACCOUNT_ID",
        ),
        ("/processor/auth/get", {"processor_token": card_token}, "NO_AUTH_ACCOUNTS"),
        *[
            (path, {"processor_token": UNKNOWN_PROCESSOR}, "INVALID_PROCESSOR_TOKEN")
            for path in (
                "/processor/balance/get",
                "/processor/identity/get",
                "/processor/transactions/sync",
            )
        ],
        (
            "/sandbox/item/set_verification_status",
            {
                "access_token": md,
                "account_id": settled,
                "verification_status": "automatically_verified",
            },
            "INVALID_FIELD",
        ),
        ("/statements/list", {"access_token": gb}, "PRODUCTS_NOT_SUPPORTED"),
        (
            "/statements/download",
            {"access_token": us, "statement_id": "no-such-statement"},
            "INVALID_FIELD",
        ),
        ("/statements/refresh", {"access_token": us, **backwards}, "INVALID_FIELD"),
        (
            "/webhook_verification_key/get",
            {"key_id": "00000000-0000-0000-0000-000000000000"},
            "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
        ),
    ]
    problems: list[str] = []
    for path, body, code in cases:
        reply = plaid.post(path, **body)
        error = reply.get_json() if reply.mimetype == "application/json" else None
        if error is None or reply.status_code != 400 or error.get("error_code") != code:
            problems.append(f"{path}: {reply.status_code} {reply.mimetype} {error}, not {code}")
            continue
        problems += [f"{path} {p}" for p in contract.error_errors(error)]
    assert not problems, "\n".join(problems)
    assert {path for path, _, _ in cases} == ISSUE_15_ENDPOINTS


def test_processor_replies_for_every_account_type_match_openapi_and_sdk(
    plaid: PlaidClient,
) -> None:
    """A processor token on each kind of account (cards, loans, investments too): balance,
    identity and the transaction stream; numbers where the account has them."""
    token = _link(plaid, "ins_109508", "user_good", "pass_good")
    checker = Checker(plaid)
    accounts = plaid.ok("/accounts/get", access_token=token)["accounts"]
    kinds = {(a["type"], a["subtype"]): a["account_id"] for a in accounts}
    assert {kind for kind, _ in kinds} >= {"depository", "credit", "loan", "investment"}
    for account_id in kinds.values():
        processor = checker.call(
            "/processor/token/create",
            access_token=token,
            account_id=account_id,
            processor="modern_treasury",
        )["processor_token"]
        if plaid.post("/processor/auth/get", processor_token=processor).status_code == 200:
            checker.call("/processor/auth/get", processor_token=processor)
        checker.call("/processor/balance/get", processor_token=processor)
        checker.call("/processor/identity/get", processor_token=processor)
        checker.call("/processor/transactions/sync", processor_token=processor, count=50)
    assert not checker.problems, "\n".join(checker.problems[:20])
