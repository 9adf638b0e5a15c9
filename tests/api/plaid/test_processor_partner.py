"""The processor twins a partner calls: one account's view of the access-token endpoints.

Each twin must give exactly what its access-token endpoint gives for the token's account,
refuse every other account, bill and fail as that endpoint does, and answer the same for the
same seed and clock.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from sandbox.core import tenants
from sandbox.extensions import db
from tests.api.plaid.helpers import items_stored, processor_token, queued_webhooks
from tests.api.plaid.test_contract import PROCESSOR_TWINS, Checker
from tests.conftest import FROZEN_NOW, PlaidClient

PRODUCTS = ("auth", "transactions", "investments", "liabilities")
START, END = "2025-01-01", "2026-03-16"


def _token(
    plaid: PlaidClient, mask: str = "0000", *, products: tuple[str, ...] = PRODUCTS, **options: Any
) -> tuple[str, str, str]:
    """A processor token for a new item that has every product a twin reads."""
    return processor_token(plaid, mask, products=products, **options)


def _without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}


# -- each twin is its access-token endpoint on one account ---------------------------------


def test_account_get_is_the_account_and_its_institution(plaid: PlaidClient) -> None:
    access, account_id, token = _token(plaid)
    body = plaid.ok("/processor/account/get", processor_token=token)
    accounts = plaid.ok("/accounts/get", access_token=access)["accounts"]
    assert body["account"] == next(a for a in accounts if a["account_id"] == account_id)
    assert body["institution_id"] == "ins_109508"


def test_investments_holdings_are_the_accounts_own(plaid: PlaidClient) -> None:
    access, ira, token = _token(plaid, "5555")
    body = plaid.ok("/processor/investments/holdings/get", processor_token=token)
    full = plaid.ok(
        "/investments/holdings/get", access_token=access, options={"account_ids": [ira]}
    )
    assert body["account"] == full["accounts"][0] and body["account"]["subtype"] == "ira"
    assert body["holdings"] == full["holdings"] and body["holdings"]
    assert {h["account_id"] for h in body["holdings"]} == {ira}
    assert body["securities"] == full["securities"]
    assert body["is_investments_fallback_item"] is False


def test_investments_transactions_page_like_the_access_token_endpoint(plaid: PlaidClient) -> None:
    access, ira, token = _token(plaid, "5555")
    options = {"count": 5, "offset": 2}
    body = plaid.ok(
        "/processor/investments/transactions/get",
        processor_token=token,
        start_date=START,
        end_date=END,
        options=options,
    )
    full = plaid.ok(
        "/investments/transactions/get",
        access_token=access,
        start_date=START,
        end_date=END,
        options={**options, "account_ids": [ira]},
    )
    assert body["investment_transactions"] == full["investment_transactions"]
    assert len(body["investment_transactions"]) == 5
    assert body["total_investment_transactions"] == full["total_investment_transactions"] > 7
    assert body["account"] == full["accounts"][0] and body["securities"] == full["securities"]
    own = plaid.ok(
        "/processor/investments/transactions/get",
        processor_token=token,
        start_date=START,
        end_date=END,
        options={"account_ids": [ira], "count": 5, "offset": 2},
    )
    assert own["investment_transactions"] == body["investment_transactions"]


def test_investments_auth_gives_the_accounts_numbers(plaid: PlaidClient) -> None:
    access, account_id, token = _token(plaid, "6666")
    body = plaid.ok("/processor/investments/auth/get", processor_token=token)
    full = plaid.ok(
        "/investments/auth/get", access_token=access, options={"account_ids": [account_id]}
    )
    assert body["account"] == full["accounts"][0]
    for key in ("holdings", "securities", "owners", "numbers", "data_sources"):
        assert body[key] == full[key], key
    assert body["numbers"]["retirement_401k"][0]["account_id"] == account_id


def test_liabilities_get_gives_the_cards_liability_only(plaid: PlaidClient) -> None:
    access, card, token = _token(plaid, "3333")
    body = plaid.ok("/processor/liabilities/get", processor_token=token)
    full = plaid.ok("/liabilities/get", access_token=access)
    assert body["account"]["account_id"] == card
    assert body["liabilities"]["credit"] == [
        c for c in full["liabilities"]["credit"] if c["account_id"] == card
    ]
    assert body["liabilities"]["mortgage"] is None and body["liabilities"]["student"] is None
    _, loan, token = _token(plaid, "7777")
    student = plaid.ok("/processor/liabilities/get", processor_token=token)["liabilities"]
    assert [s["account_id"] for s in student["student"]] == [loan] and student["credit"] is None


def test_identity_match_scores_the_accounts_owner(plaid: PlaidClient) -> None:
    access, account_id, token = _token(plaid)
    user = {"legal_name": "Alberta Charleson", "email_address": "accountholder0@example.com"}
    body = plaid.ok("/processor/identity/match", processor_token=token, user=user)
    full = plaid.ok("/identity/match", access_token=access, user=user)["accounts"]
    assert body["account"] == next(a for a in full if a["account_id"] == account_id)
    assert body["account"]["legal_name"]["score"] > 70
    assert body["account"]["balances"]["current"] is None


def test_transactions_get_reads_only_the_tokens_account(plaid: PlaidClient) -> None:
    access, account_id, token = _token(plaid)
    options = {"count": 50, "offset": 10}
    body = plaid.ok(
        "/processor/transactions/get",
        processor_token=token,
        start_date=START,
        end_date=END,
        options=options,
    )
    full = plaid.ok(
        "/transactions/get",
        access_token=access,
        start_date=START,
        end_date=END,
        options={**options, "account_ids": [account_id]},
    )
    assert body["transactions"] == full["transactions"] and len(body["transactions"]) == 50
    assert body["total_transactions"] == full["total_transactions"]
    assert body["account"]["account_id"] == account_id
    assert {t["account_id"] for t in body["transactions"]} == {account_id}


def test_transactions_refresh_and_recurring_of_the_tokens_account(plaid: PlaidClient) -> None:
    access, account_id, token = _token(
        plaid, products=("auth", "transactions"), transactions={"days_requested": 365}
    )
    assert (
        _without_request_id(plaid.ok("/processor/transactions/refresh", processor_token=token))
        == {}
    )
    body = plaid.ok("/processor/transactions/recurring/get", processor_token=token)
    full = plaid.ok("/transactions/recurring/get", access_token=access, account_ids=[account_id])
    assert body["inflow_streams"] == full["inflow_streams"] and body["inflow_streams"]
    assert body["outflow_streams"] == full["outflow_streams"]
    streams = body["inflow_streams"] + body["outflow_streams"]
    assert {s["account_id"] for s in streams} == {account_id}


def test_signal_evaluate_decision_and_return_through_the_token(plaid: PlaidClient) -> None:
    access, account_id, token = _token(plaid, products=("auth", "transactions"))
    assert plaid.ok("/processor/signal/prepare", processor_token=token)["request_id"]
    body = plaid.ok(
        "/processor/signal/evaluate",
        processor_token=token,
        client_transaction_id="t1",
        amount=27.53,
    )
    assert body["scores"]["bank_initiated_return_risk"]["score"] == 90
    assert body["ruleset"]["result"] == "REROUTE" and body["warnings"] == []
    # the same debit scored through the access token gives the same attributes
    twin = plaid.ok(
        "/signal/evaluate",
        access_token=access,
        account_id=account_id,
        client_transaction_id="t2",
        amount=27.53,
    )
    assert twin["scores"] == body["scores"] and twin["core_attributes"] == body["core_attributes"]
    plaid.ok(
        "/processor/signal/decision/report",
        processor_token=token,
        client_transaction_id="t1",
        initiated=True,
        decision_outcome="APPROVE",
        payment_method="SAME_DAY_ACH",
    )
    plaid.ok(
        "/processor/signal/return/report",
        processor_token=token,
        client_transaction_id="t1",
        return_code="R01",
    )
    again = plaid.error(
        "/processor/signal/evaluate", processor_token=token, client_transaction_id="t1", amount=5
    )
    assert again["error_code"] == "CLIENT_TRANSACTION_ID_ALREADY_IN_USE"
    ruleset = plaid.error(
        "/processor/signal/evaluate",
        processor_token=token,
        client_transaction_id="t3",
        amount=5,
        ruleset_key="nope",
    )
    assert ruleset["error_code"] == "RULESET_NOT_FOUND"


def test_signal_reports_reach_only_debits_scored_on_the_tokens_account(
    plaid: PlaidClient,
) -> None:
    access, _, token = _token(plaid, products=("auth", "transactions"))
    savings = next(
        a["account_id"]
        for a in plaid.ok("/accounts/get", access_token=access)["accounts"]
        if a["mask"] == "1111"
    )
    plaid.ok(
        "/signal/evaluate",
        access_token=access,
        account_id=savings,
        client_transaction_id="savings-1",
        amount=10,
    )
    for path, extra in (
        ("/processor/signal/decision/report", {"initiated": True}),
        ("/processor/signal/return/report", {"return_code": "R01"}),
    ):
        error = plaid.error(path, processor_token=token, client_transaction_id="savings-1", **extra)
        assert error["error_code"] == "INVALID_FIELD", path
        assert "client_transaction_id" in error["error_message"]


def test_signal_on_a_card_account_is_invalid_account(plaid: PlaidClient) -> None:
    _, _, token = _token(plaid, "3333", products=("auth", "transactions"))
    error = plaid.error(
        "/processor/signal/evaluate", processor_token=token, client_transaction_id="c", amount=5
    )
    assert error["error_code"] == "INVALID_ACCOUNT_ID"


def test_signal_scores_an_item_in_error_with_a_warning(plaid: PlaidClient) -> None:
    access, _, token = _token(plaid, products=("auth", "transactions"))
    plaid.ok("/sandbox/item/reset_login", access_token=access)
    body = plaid.ok(
        "/processor/signal/evaluate", processor_token=token, client_transaction_id="e", amount=5
    )
    assert body["warnings"][0]["warning_code"] == "ITEM_LOGIN_REQUIRED"
    error = plaid.error("/processor/account/get", processor_token=token)
    assert error["error_code"] == "ITEM_LOGIN_REQUIRED"


# -- scope: one account, one product set, one tenant ----------------------------------------


@pytest.mark.parametrize(
    ("path", "mask", "code"),
    [
        ("/processor/investments/holdings/get", "0000", "NO_INVESTMENT_ACCOUNTS"),
        ("/processor/investments/auth/get", "3333", "NO_INVESTMENT_AUTH_ACCOUNTS"),
        ("/processor/liabilities/get", "0000", "NO_LIABILITY_ACCOUNTS"),
        ("/processor/auth/get", "5555", "NO_AUTH_ACCOUNTS"),
    ],
)
def test_a_twin_on_the_wrong_kind_of_account_is_the_products_error(
    plaid: PlaidClient, path: str, mask: str, code: str
) -> None:
    _, _, token = _token(plaid, mask)
    error = plaid.error(path, processor_token=token)
    assert (error["error_type"], error["error_code"]) == ("ITEM_ERROR", code)


def test_investments_transactions_refuse_another_accounts_id(plaid: PlaidClient) -> None:
    access, _, token = _token(plaid, "5555")
    other = next(
        a["account_id"]
        for a in plaid.ok("/accounts/get", access_token=access)["accounts"]
        if a["mask"] == "6666"
    )
    for ids in ([other], ["nope"]):
        error = plaid.error(
            "/processor/investments/transactions/get",
            processor_token=token,
            start_date=START,
            end_date=END,
            options={"account_ids": ids},
        )
        assert error["error_code"] == "INVALID_ACCOUNT_ID", ids
        assert ids[0] in error["error_message"]
    _, _, checking = _token(plaid, "0000")
    error = plaid.error(
        "/processor/investments/transactions/get",
        processor_token=checking,
        start_date=START,
        end_date=END,
    )
    assert error["error_code"] == "NO_INVESTMENT_ACCOUNTS"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/processor/investments/holdings/get", {}),
        ("/processor/liabilities/get", {}),
        ("/processor/signal/prepare", {}),
        ("/processor/signal/evaluate", {"client_transaction_id": "x", "amount": 1}),
    ],
)
def test_a_product_the_bank_does_not_offer_is_products_not_supported(
    plaid: PlaidClient, path: str, body: dict[str, Any]
) -> None:
    """Royal Bank of Plaid (GB) offers no Investments, Liabilities or Signal (US only)."""
    _, _, token = _token(plaid, "0000", products=("auth",), institution="ins_117650")
    error = plaid.error(path, processor_token=token, **body)
    assert error["error_code"] == "PRODUCTS_NOT_SUPPORTED", error


def test_a_twin_bills_its_product_on_first_use(plaid: PlaidClient) -> None:
    access, _, token = _token(plaid, "3333", products=("auth",))
    assert "liabilities" not in plaid.ok("/item/get", access_token=access)["item"]["products"]
    plaid.ok("/processor/liabilities/get", processor_token=token)
    assert "liabilities" in plaid.ok("/item/get", access_token=access)["item"]["products"]


NEW_TWINS: list[tuple[str, dict[str, Any]]] = [
    ("/processor/account/get", {}),
    ("/processor/identity/match", {"user": {"legal_name": "A B"}}),
    ("/processor/liabilities/get", {}),
    ("/processor/investments/holdings/get", {}),
    ("/processor/investments/auth/get", {}),
    ("/processor/investments/transactions/get", {"start_date": START, "end_date": END}),
    ("/processor/transactions/get", {"start_date": START, "end_date": END}),
    ("/processor/transactions/refresh", {}),
    ("/processor/transactions/recurring/get", {}),
    ("/processor/signal/prepare", {}),
    ("/processor/signal/evaluate", {"client_transaction_id": "x", "amount": 1}),
    ("/processor/signal/decision/report", {"client_transaction_id": "x", "initiated": True}),
    ("/processor/signal/return/report", {"client_transaction_id": "x", "return_code": "R01"}),
]


@pytest.mark.parametrize(("path", "body"), NEW_TWINS)
def test_twins_refuse_missing_unknown_foreign_and_dead_tokens(
    app: Flask, plaid: PlaidClient, path: str, body: dict[str, Any]
) -> None:
    missing = plaid.error(path, **body)
    assert (
        missing["error_code"] == "MISSING_FIELDS" and "processor_token" in missing["error_message"]
    )
    unknown = plaid.error(path, processor_token="processor-sandbox-nope", **body)
    assert (unknown["error_type"], unknown["error_code"], unknown["http_status"]) == (
        "INVALID_INPUT",
        "INVALID_PROCESSOR_TOKEN",
        400,
    )
    access, _, token = _token(plaid)
    _, keys = tenants.create(db.session, "other", 7)
    db.session.commit()
    other = PlaidClient(app.test_client(), keys.client_id, keys.secret)
    assert other.error(path, processor_token=token, **body)["error_code"] == (
        "INVALID_PROCESSOR_TOKEN"
    )
    plaid.ok("/item/remove", access_token=access)
    assert plaid.error(path, processor_token=token, **body)["error_code"] == (
        "INVALID_PROCESSOR_TOKEN"
    )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/processor/transactions/get", {"start_date": START}, "end_date"),
        (
            "/processor/transactions/get",
            {"start_date": START, "end_date": END, "options": {"account_ids": []}},
            "account_ids",
        ),
        (
            "/processor/investments/transactions/get",
            {"start_date": START, "end_date": END, "options": {"count": 0}},
            "count",
        ),
        ("/processor/signal/evaluate", {"client_transaction_id": "x"}, "amount"),
        (
            "/processor/signal/decision/report",
            {"client_transaction_id": "x", "initiated": True, "submitted_at": "2026-01-01T00:00Z"},
            "submitted_at",
        ),
        (
            "/processor/signal/decision/report",
            {"client_transaction_id": "x", "initiated": 1},
            "initiated",
        ),
        (
            "/processor/signal/return/report",
            {"client_transaction_id": "x", "return_code": "X"},
            "return_code",
        ),
        (
            "/processor/signal/return/report",
            {"client_transaction_id": "x", "return_code": "R01\n"},
            "return_code",
        ),
        ("/processor/identity/match", {"user": {"phone_number": "call me"}}, "phone_number"),
        (
            "/processor/identity/match",
            {"user": {"phone_number": "+1 111 222 3333\n"}},
            "phone_number",
        ),
        ("/processor/account/get", {"access_token": "access-sandbox-x"}, "access_token"),
    ],
)
def test_twins_reject_bad_input_naming_the_field(
    plaid: PlaidClient, path: str, body: dict[str, Any], field: str
) -> None:
    _, _, token = _token(plaid)
    error = plaid.error(path, processor_token=token, **body)
    assert error["error_type"] == "INVALID_REQUEST" and field in error["error_message"], error


# -- micro-deposits: the partner waits as the app does ---------------------------------------


def test_processor_auth_waits_for_an_automated_micro_deposit(plaid: PlaidClient) -> None:
    access, account_id, token = _token(
        plaid,
        products=("auth",),
        institution="ins_109512",
        override_username="user_good",
        override_password="microdeposits_good",
        webhook="https://receiver.test/hook",
    )
    account = plaid.ok("/processor/account/get", processor_token=token)["account"]
    assert account["verification_status"] == "pending_automatic_verification"
    error = plaid.error("/processor/auth/get", processor_token=token)
    assert (error["error_type"], error["error_code"]) == ("ITEM_ERROR", "PRODUCT_NOT_READY")
    plaid.ok(
        "/sandbox/item/set_verification_status",
        access_token=access,
        account_id=account_id,
        verification_status="automatically_verified",
    )
    numbers = plaid.ok("/processor/auth/get", processor_token=token)["numbers"]["ach"]
    assert numbers["account_id"] == account_id and numbers["routing"]
    hooks = [h for h in queued_webhooks(plaid) if h["webhook_type"] == "AUTH"]
    assert [h["webhook_code"] for h in hooks] == ["AUTOMATICALLY_VERIFIED"]


# -- contract and determinism ------------------------------------------------------------------


def _twin_replies(plaid: PlaidClient, checker: Checker | None = None) -> list[dict[str, Any]]:
    """One call of every new twin and token setting on user_good's accounts (each reply as it
    came)."""
    call = checker.call if checker else plaid.ok
    access = plaid.link_item(products=PRODUCTS, transactions={"days_requested": 365})
    accounts = plaid.ok("/accounts/get", access_token=access)["accounts"]
    by_mask = {a["mask"]: a["account_id"] for a in accounts}
    token = {
        mask: call(
            "/processor/token/create",
            access_token=access,
            account_id=by_mask[mask],
            processor="modern_treasury",
        )["processor_token"]
        for mask in ("0000", "3333", "5555", "6666", "7777", "8888")
    }
    dates = {"start_date": START, "end_date": END}
    replies = [
        call("/processor/account/get", processor_token=token["0000"]),
        call("/processor/identity/match", processor_token=token["0000"], user={"legal_name": "Al"}),
        call("/processor/identity/match", processor_token=token["3333"]),
        call("/processor/transactions/get", processor_token=token["0000"], **dates),
        call(
            "/processor/transactions/get",
            processor_token=token["3333"],
            options={"include_original_description": True, "count": 3},
            **dates,
        ),
        call("/processor/transactions/refresh", processor_token=token["0000"]),
        call("/processor/transactions/recurring/get", processor_token=token["0000"]),
        call("/processor/investments/holdings/get", processor_token=token["5555"]),
        call("/processor/investments/auth/get", processor_token=token["6666"]),
        call("/processor/investments/transactions/get", processor_token=token["6666"], **dates),
    ]
    replies += [
        call("/processor/liabilities/get", processor_token=token[mask])
        for mask in ("3333", "7777", "8888")
    ]
    shortcut = call("/sandbox/processor_token/create", institution_id="ins_109511")
    replies.append(call("/processor/account/get", processor_token=shortcut["processor_token"]))
    replies.append(call("/processor/signal/prepare", processor_token=token["0000"]))
    for n, amount in enumerate((100.0, 12.17)):
        replies.append(
            call(
                "/processor/signal/evaluate",
                processor_token=token["0000"],
                client_transaction_id=f"det-{n}",
                amount=amount,
                user_present=True,
                device={"ip_address": "198.51.100.7"},
            )
        )
    replies.append(
        call(
            "/processor/signal/decision/report",
            processor_token=token["0000"],
            client_transaction_id="det-0",
            initiated=True,
            days_funds_on_hold=1,
            amount_instantly_available=10.5,
        )
    )
    replies.append(
        call(
            "/processor/signal/return/report",
            processor_token=token["0000"],
            client_transaction_id="det-0",
            return_code="R10",
            returned_at="2026-03-16T10:00:00Z",
        )
    )
    settings = {"processor_token": token["0000"]}
    replies += [
        call("/processor/token/permissions/set", **settings, products=["auth", "transactions"]),
        call("/processor/token/permissions/get", **settings),
        call("/processor/token/webhook/update", **settings, webhook="https://partner.test/hook"),
    ]
    return replies


def test_every_twin_reply_matches_openapi_and_the_sdk(plaid: PlaidClient) -> None:
    checker = Checker(plaid)
    _twin_replies(plaid, checker)
    assert not checker.problems, "\n".join(checker.problems[:20])
    assert checker.checked == PROCESSOR_TWINS | {"/processor/token/create"}


def _snapshot(app: Flask, seed: int) -> bytes:
    tenant, keys = tenants.create(db.session, "det", seed)
    tenant.clock_frozen_at = FROZEN_NOW
    db.session.commit()
    replies = _twin_replies(PlaidClient(app.test_client(), keys.client_id, keys.secret))
    stripped = [_without_request_id(r) for r in replies]
    for reply in stripped:  # the clock is frozen, but say so: nothing else may differ
        reply.pop("updated_datetime", None)
    return json.dumps(stripped, sort_keys=True).encode()


def test_twins_answer_the_same_for_the_same_seed_and_clock(app: Flask) -> None:
    first, second = _snapshot(app, 7), _snapshot(app, 7)
    assert len(first) > 20_000
    assert first == second
    assert _snapshot(app, 8) != first


# -- /sandbox/processor_token/create: a partner's token without an app ----------------------


def test_sandbox_processor_token_opens_a_new_items_checking_account(plaid: PlaidClient) -> None:
    token = plaid.ok("/sandbox/processor_token/create", institution_id="ins_109508")[
        "processor_token"
    ]
    assert token.startswith("processor-sandbox-")
    body = plaid.ok("/processor/account/get", processor_token=token)
    assert (body["account"]["subtype"], body["account"]["mask"]) == ("checking", "0000")
    assert body["institution_id"] == "ins_109508"
    assert plaid.ok("/processor/auth/get", processor_token=token)["numbers"]["ach"]["routing"]
    other = plaid.ok("/sandbox/processor_token/create", institution_id="ins_109508")
    assert other["processor_token"] != token  # a new item each time


def test_sandbox_processor_token_takes_the_test_credentials(plaid: PlaidClient) -> None:
    micro = plaid.ok(
        "/sandbox/processor_token/create",
        institution_id="ins_109512",
        options={"override_username": "user_good", "override_password": "microdeposits_good"},
    )["processor_token"]
    account = plaid.ok("/processor/account/get", processor_token=micro)["account"]
    assert account["verification_status"] == "pending_automatic_verification"
    assert plaid.error("/processor/auth/get", processor_token=micro)["error_code"] == (
        "PRODUCT_NOT_READY"
    )
    card_only = plaid.ok("/sandbox/processor_token/create", institution_id="ins_10")
    account = plaid.ok("/processor/account/get", processor_token=card_only["processor_token"])
    assert account["institution_id"] == "ins_10"


def test_sandbox_processor_token_needs_an_account_auth_serves(plaid: PlaidClient) -> None:
    """At a bank with Auth the item is linked with Auth, checked as Link checks it: a login
    without a checking, savings or cash management account is ``NO_AUTH_ACCOUNTS``, and no
    item is written. At a bank without Auth (Transactions) a card alone is enough."""
    cards = json.dumps({"override_accounts": [{"type": "credit", "subtype": "credit card"}]})
    options = {"override_username": "user_custom", "override_password": cards}
    error = plaid.error(
        "/sandbox/processor_token/create", institution_id="ins_109508", options=options
    )
    assert (error["error_type"], error["error_code"], error["http_status"]) == (
        "ITEM_ERROR",
        "NO_AUTH_ACCOUNTS",
        400,
    )
    assert items_stored(plaid) == 0
    token = plaid.ok("/sandbox/processor_token/create", institution_id="ins_10", options=options)
    account = plaid.ok("/processor/account/get", processor_token=token["processor_token"])
    assert account["account"]["subtype"] == "credit card"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "MISSING_FIELDS"),
        ({"institution_id": "ins_nope"}, "INVALID_INSTITUTION"),
        (
            {"institution_id": "ins_109508", "options": {"override_password": "pass_bad"}},
            "INVALID_CREDENTIALS",
        ),
        (
            {"institution_id": "ins_109508", "options": {"override_password": "error_ITEM_LOCKED"}},
            "ITEM_LOCKED",
        ),
        (
            {"institution_id": "ins_109508", "options": {"webhook": "https://x.test"}},
            "UNKNOWN_FIELDS",
        ),
    ],
)
def test_sandbox_processor_token_errors(
    plaid: PlaidClient, body: dict[str, Any], code: str
) -> None:
    assert plaid.error("/sandbox/processor_token/create", **body)["error_code"] == code
