"""``/data/v1/info``, ``/accounts``, ``/accounts/{id}`` and ``/accounts/{id}/balance``."""

from __future__ import annotations

import re

from tests.api.truelayer.conftest import TrueLayerData

STAMP = "2026-03-16T15:30:00.000000Z"  # FROZEN_NOW, as TrueLayer writes instants


def test_accounts_lists_the_uk_current_and_savings_accounts_with_sort_codes(
    truelayer: TrueLayerData, token: str
) -> None:
    accounts = truelayer.results("/accounts", token)
    assert [a["account_type"] for a in accounts] == ["TRANSACTION", "SAVINGS"]
    for account in accounts:
        numbers = account["account_number"]
        assert account["currency"] == "GBP"
        assert re.fullmatch(r"\d{2}-\d{2}-\d{2}", numbers["sort_code"])
        assert re.fullmatch(r"\d{8}", numbers["number"])
        assert numbers["iban"].startswith("GB")
        assert account["provider"]["provider_id"] == "mock"
        assert account["update_timestamp"] == STAMP


def test_the_iban_password_gives_each_account_a_valid_iban(truelayer: TrueLayerData) -> None:
    token = truelayer.connect("john", "iban")
    ibans = [a["account_number"]["iban"] for a in truelayer.results("/accounts", token)]
    assert len(set(ibans)) == len(ibans) == 2
    for iban in ibans:  # ISO 13616: move the first four characters to the end, mod 97 is 1
        digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
        assert int(digits) % 97 == 1


def test_one_account_is_the_listed_one_in_a_one_element_list(
    truelayer: TrueLayerData, token: str
) -> None:
    listed = truelayer.results("/accounts", token)[1]
    assert truelayer.results(f"/accounts/{listed['account_id']}", token) == [listed]


def test_an_unknown_account_is_account_not_found(truelayer: TrueLayerData, token: str) -> None:
    body = truelayer.error("/accounts/nope/balance", token, 404, "account_not_found")
    assert body["error_details"] == {"parameter": "account_id"}
    truelayer.error("/accounts/nope", token, 404, "account_not_found")


def test_a_card_id_is_not_an_account_id(truelayer: TrueLayerData, token: str) -> None:
    card_id = truelayer.results("/cards", token)[0]["account_id"]
    truelayer.error(f"/accounts/{card_id}", token, 404, "account_not_found")
    truelayer.error(f"/accounts/{card_id}/transactions", token, 404, "account_not_found")


def test_balance_is_in_major_units_with_the_arranged_overdraft(
    truelayer: TrueLayerData, token: str
) -> None:
    current = truelayer.results("/accounts", token)[0]
    account = next(
        a for a in truelayer.grant_of(token).item.accounts if a.id == current["account_id"]
    )
    [balance] = truelayer.results(f"/accounts/{current['account_id']}/balance", token)
    available = account.available_minor
    spendable = available if available is not None else account.current_minor
    assert account.limit_minor, "the account has an arranged overdraft"
    assert balance == {
        "currency": "GBP",
        "available": (spendable + account.limit_minor) / 100,  # TrueLayer's counts the overdraft
        "current": account.current_minor / 100,
        "overdraft": account.limit_minor / 100,
        "update_timestamp": STAMP,
    }


def test_savings_balance_has_no_overdraft(truelayer: TrueLayerData, token: str) -> None:
    savings = truelayer.results("/accounts", token)[1]["account_id"]
    [balance] = truelayer.results(f"/accounts/{savings}/balance", token)
    assert "overdraft" not in balance and isinstance(balance["current"], float)


def test_info_names_the_account_holder(truelayer: TrueLayerData, token: str) -> None:
    [info] = truelayer.results("/info", token)
    assert info["full_name"] and info["emails"] and info["phones"]
    assert info["addresses"][0]["country"] == "GB"
    again = truelayer.results("/info", truelayer.connect())[0]
    assert again["full_name"] == info["full_name"]  # the same login, the same person


def test_every_reply_names_the_request_and_the_connection(
    truelayer: TrueLayerData, token: str
) -> None:
    ok, failed = truelayer.get("/accounts", token), truelayer.get("/accounts/nope", token)
    credentials = truelayer.grant_of(token).credentials_id
    for response in (ok, failed):
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.headers["X-Credentials-Id"] == credentials
        assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["X-TL-Correlation-Id"])
    assert ok.headers["X-TL-Correlation-Id"] != failed.headers["X-TL-Correlation-Id"]


def test_an_unknown_path_or_method_is_truelayers_not_found(truelayer: TrueLayerData) -> None:
    for response in (
        truelayer.http.get("/data/v1/nope"),
        truelayer.http.post("/data/v1/accounts"),
        truelayer.http.get("/data/v1/accounts/a/b/c"),
    ):
        assert response.status_code == 404
        assert response.get_json()["error"] == "not_found"
        assert response.headers["X-TL-Correlation-Id"]
