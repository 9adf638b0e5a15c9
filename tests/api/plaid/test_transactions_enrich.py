"""``/transactions/enrich``: the app's own rows, recognised over the sandbox's merchants."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PlaidClient

PATH = "/transactions/enrich"


def _row(description: str, amount: float = 12.5, **fields: Any) -> dict[str, Any]:
    return {
        "id": fields.pop("id", "t-1"),
        "description": description,
        "amount": amount,
        "direction": fields.pop("direction", "OUTFLOW"),
        "iso_currency_code": fields.pop("iso_currency_code", "USD"),
        **fields,
    }


def _enrich(plaid: PlaidClient, *rows: dict[str, Any], **body: Any) -> list[dict[str, Any]]:
    body.setdefault("account_type", "depository")
    enriched: list[dict[str, Any]] = plaid.ok(PATH, transactions=list(rows), **body)[
        "enriched_transactions"
    ]
    return enriched


def test_a_descriptor_gives_the_merchant_entity_category_and_store(plaid: PlaidClient) -> None:
    (found,) = _enrich(plaid, _row("STARBUCKS STORE #1234", 5.45, id="abc"))
    assert (found["id"], found["amount"], found["direction"]) == ("abc", 5.45, "OUTFLOW")
    enrichments = found["enrichments"]
    assert enrichments["merchant_name"] == "Starbucks"
    assert enrichments["website"] == "starbucks.com"
    assert enrichments["payment_channel"] == "in store"
    assert enrichments["personal_finance_category"] == {
        "primary": "FOOD_AND_DRINK",
        "detailed": "FOOD_AND_DRINK_COFFEE",
        "confidence_level": "VERY_HIGH",
        "version": "v1",
    }
    assert enrichments["personal_finance_category_icon_url"].endswith("PFC_FOOD_AND_DRINK.png")
    assert enrichments["location"]["store_number"] == "1234"
    assert len(enrichments["entity_id"]) == 37
    assert enrichments["logo_url"].startswith("https://plaid-merchant-logos.plaid.com/starbucks_")
    (counterparty,) = enrichments["counterparties"]
    assert counterparty["name"] == "Starbucks" and counterparty["type"] == "merchant"
    assert counterparty["entity_id"] == enrichments["entity_id"]
    assert "legacy_category" not in enrichments


def test_the_merchant_entity_is_the_one_transactions_carry(plaid: PlaidClient) -> None:
    """A row of ``/transactions/get`` enriched gives its merchant, entity and category back."""
    access = plaid.link_item("ins_109508")
    transactions = plaid.ok(
        "/transactions/get",
        access_token=access,
        start_date="2025-01-01",
        end_date="2026-03-16",
        options={"count": 500},
    )["transactions"]
    accounts = plaid.ok("/accounts/get", access_token=access)["accounts"]
    kinds = {a["account_id"]: a["type"] for a in accounts}
    checked = 0
    for kind in ("depository", "credit"):
        mine = [t for t in transactions if kinds[t["account_id"]] == kind][:100]
        rows = [
            _row(
                t["name"],
                abs(t["amount"]),
                id=t["transaction_id"],
                direction="OUTFLOW" if t["amount"] > 0 else "INFLOW",
                iso_currency_code=t["iso_currency_code"],
            )
            for t in mine
        ]
        for t, found in zip(mine, _enrich(plaid, *rows, account_type=kind), strict=True):
            enrichments = found["enrichments"]
            expected = (
                t["merchant_name"],
                t["merchant_entity_id"],
                t["personal_finance_category"]["detailed"],
            )
            assert expected == (
                enrichments["merchant_name"] if t["merchant_name"] else None,
                enrichments["entity_id"],
                enrichments["personal_finance_category"]["detailed"],
            ), t["name"]
            checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    ("description", "direction", "account_type", "detailed"),
    [
        ("ACME INC PAYROLL", "INFLOW", "depository", "INCOME_WAGES"),
        ("MONTHLY MAINTENANCE FEE", "OUTFLOW", "depository", "BANK_FEES_OTHER_BANK_FEES"),
        ("Online Transfer to SAV ...1111", "OUTFLOW", "depository", "TRANSFER_OUT_SAVINGS"),
        ("INTEREST PAYMENT", "INFLOW", "depository", "INCOME_INTEREST_EARNED"),
        ("INTEREST CHARGE", "OUTFLOW", "credit", "BANK_FEES_INTEREST_CHARGE"),
        ("ATM WITHDRAWAL 4411", "OUTFLOW", "depository", "TRANSFER_OUT_WITHDRAWAL"),
        ("PAYMENT - THANK YOU", "INFLOW", "credit", "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"),
        ("XYZZY 0042", "OUTFLOW", "depository", "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE"),
        ("XYZZY 0042", "INFLOW", "depository", "TRANSFER_IN_OTHER_TRANSFER_IN"),
    ],
)
def test_rows_without_a_merchant_are_categorised_by_their_words_and_direction(
    plaid: PlaidClient, description: str, direction: str, account_type: str, detailed: str
) -> None:
    (found,) = _enrich(plaid, _row(description, direction=direction), account_type=account_type)
    enrichments = found["enrichments"]
    assert enrichments["personal_finance_category"]["detailed"] == detailed
    assert enrichments["merchant_name"] is None and enrichments["counterparties"] == []
    assert enrichments["entity_id"] is None and enrichments["logo_url"] is None


def test_an_unknown_row_is_low_confidence_and_an_mcc_helps(plaid: PlaidClient) -> None:
    unknown, with_mcc = _enrich(
        plaid, _row("POS 99812 QWERTY"), _row("POS 99812 QWERTY", id="t-2", mcc="5411")
    )
    assert unknown["enrichments"]["personal_finance_category"]["confidence_level"] == "LOW"
    assert with_mcc["enrichments"]["personal_finance_category"]["detailed"] == (
        "FOOD_AND_DRINK_GROCERIES"
    )
    assert with_mcc["enrichments"]["payment_channel"] == "in store"


def test_a_payment_app_is_a_payment_app_counterparty(plaid: PlaidClient) -> None:
    (found,) = _enrich(plaid, _row("ZELLE TO JANE DOE 8812"))
    enrichments = found["enrichments"]
    assert enrichments["personal_finance_category"]["detailed"] == "TRANSFER_OUT_ACCOUNT_TRANSFER"
    assert [(c["name"], c["type"]) for c in enrichments["counterparties"]] == [
        ("Zelle", "payment_app")
    ]


def test_the_currency_picks_the_local_listing_and_the_app_location_is_kept(
    plaid: PlaidClient,
) -> None:
    location = {"address": "1 Rue de Lappe", "city": "Paris", "country": "FR"}
    (paris,) = _enrich(plaid, _row("SPOTIFY", 9.99, iso_currency_code="EUR", location=location))
    assert paris["enrichments"]["merchant_name"] == "Spotify"
    assert paris["enrichments"]["personal_finance_category"]["confidence_level"] == "HIGH"
    assert paris["enrichments"]["location"] == {
        "address": "1 Rue de Lappe",
        "city": "Paris",
        "region": None,
        "postal_code": None,
        "country": "FR",
        "lat": None,
        "lon": None,
        "store_number": None,
    }
    (target,) = _enrich(plaid, _row("TARGET #0815 BROOKLYN"))
    assert target["enrichments"]["location"]["city"] == "Brooklyn"


def test_options_add_the_legacy_category_and_set_the_version(plaid: PlaidClient) -> None:
    (found,) = _enrich(
        plaid,
        _row("STARBUCKS STORE #1"),
        options={"include_legacy_category": True, "personal_finance_category_version": "v2"},
    )
    enrichments = found["enrichments"]
    categories = plaid.ok("/categories/get")["categories"]
    legacy = next(c for c in categories if c["category_id"] == enrichments["legacy_category_id"])
    assert enrichments["legacy_category"] == legacy["hierarchy"]
    assert enrichments["personal_finance_category"]["version"] == "v2"


def test_replies_keep_the_request_order_and_ids(plaid: PlaidClient) -> None:
    rows = [_row(f"UBER *TRIP #{n}", id=f"id-{n}") for n in range(100)]
    enriched = _enrich(plaid, *rows)
    assert [e["id"] for e in enriched] == [f"id-{n}" for n in range(100)]
    assert {e["enrichments"]["merchant_name"] for e in enriched} == {"Uber"}


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"transactions": [_row("X")]}, "MISSING_FIELDS", "account_type"),
        ({"account_type": "depository"}, "MISSING_FIELDS", "transactions"),
        ({"account_type": "loan", "transactions": [_row("X")]}, "INVALID_FIELD", "account_type"),
        ({"account_type": "depository", "transactions": []}, "INVALID_FIELD", "transactions"),
        (
            {"account_type": "depository", "transactions": [_row("X")] * 101},
            "INVALID_FIELD",
            "transactions",
        ),
        (
            {"account_type": "depository", "transactions": [{"id": "a", "description": "X"}]},
            "MISSING_FIELDS",
            "transactions[0].amount",
        ),
        (
            {"account_type": "depository", "transactions": [_row("X", -1)]},
            "INVALID_FIELD",
            "transactions[0].amount",
        ),
        (
            {"account_type": "depository", "transactions": [_row("X", "12")]},  # type: ignore[arg-type]
            "INVALID_FIELD",
            "transactions[0].amount",
        ),
        (
            {"account_type": "depository", "transactions": [_row("X", direction="UP")]},
            "INVALID_FIELD",
            "transactions[0].direction",
        ),
        (
            {"account_type": "depository", "transactions": [_row("X", iso_currency_code="usd")]},
            "INVALID_FIELD",
            "transactions[0].iso_currency_code",
        ),
        (
            {"account_type": "depository", "transactions": [_row("X", mcc="54")]},
            "INVALID_FIELD",
            "transactions[0].mcc",
        ),
        (
            {"account_type": "depository", "transactions": [_row("X", colour="red")]},
            "UNKNOWN_FIELDS",
            "transactions[0].colour",
        ),
        (
            {"account_type": "depository", "transactions": "nope"},
            "INVALID_FIELD",
            "transactions",
        ),
    ],
)
def test_bad_input_is_plaids_error_naming_the_field(
    plaid: PlaidClient, body: dict[str, Any], code: str, field: str
) -> None:
    error = plaid.error(PATH, **body)
    assert (error["http_status"], error["error_type"]) == (400, "INVALID_REQUEST")
    assert error["error_code"] == code and field in error["error_message"]
