"""Statement files through the control API and Plaid's ``/statements/*``: they agree with the API.

Every CSV layout is read back by the client's reader and compared with ``/transactions/get``
to the cent; PDF statements are checked by their text (pypdf) against ``/liabilities/get``
and the balances, and rendered to PNG under ``test-artifacts/statements/`` for people to look at.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from pypdf import PdfReader

from client.imports.csv_reader import read_csv
from sandbox.core.statements.csv_layouts import LAYOUTS
from tests.conftest import PlaidClient

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "statements"
CARD_LAYOUTS = {"chase-card", "amex", "bofa-card", "capital-one-card"}
START, END = "2026-01-01", "2026-03-16"


def _get(plaid: PlaidClient, path: str, **query: str) -> Any:
    return plaid.client.get(
        path,
        query_string=query,
        headers={"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret},
    )


def _linked(plaid: PlaidClient, institution: str = "ins_56") -> tuple[str, str, dict[str, Any]]:
    token = plaid.link_item(institution, transactions={"days_requested": 120})
    item_id = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    accounts = {a["mask"]: a for a in plaid.ok("/accounts/get", access_token=token)["accounts"]}
    return token, item_id, accounts


def _posted(plaid: PlaidClient, token: str, account_id: str) -> Counter[tuple[str, Decimal]]:
    """Ground truth in the local model's sign (money in positive)."""
    rows = plaid.ok(
        "/transactions/get",
        access_token=token,
        start_date=START,
        end_date=END,
        options={"count": 500, "account_ids": [account_id]},
    )["transactions"]
    return Counter(
        (t["date"], -Decimal(str(t["amount"])).quantize(Decimal("0.01")))
        for t in rows
        if not t["pending"]
    )


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_export_every_csv_layout_reads_back_to_the_api_to_the_cent(
    plaid: PlaidClient, layout: str
) -> None:
    token, item_id, accounts = _linked(plaid)
    account = accounts["3333" if layout in CARD_LAYOUTS else "0000"]
    reply = _get(
        plaid,
        f"/control/items/{item_id}/accounts/{account['account_id']}/export",
        start=START,
        end=END,
        format="csv",
        layout=layout,
    )
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    parsed, _ = read_csv(reply.data, {})
    assert parsed.format == layout
    if parsed.account_number:  # the file names its account: the API's mask
        assert parsed.mask == account["mask"]
    read = Counter((r.date.isoformat(), r.amount) for r in parsed.rows)
    assert read == _posted(plaid, token, account["account_id"])


def test_bofa_checking_summary_reconciles_with_the_balances(plaid: PlaidClient) -> None:
    _, item_id, accounts = _linked(plaid, "ins_127989")
    checking = accounts["0000"]["account_id"]
    text = _get(
        plaid, f"/control/items/{item_id}/accounts/{checking}/export", start=START, end=END
    ).text
    balances = _get(
        plaid,
        f"/control/items/{item_id}/balances",
        start="2025-12-31",
        end=END,
        account_id=checking,
    ).get_json()["accounts"][0]["balances"]
    opening, closing = balances[0]["current"], balances[-1]["current"]
    assert f'Beginning balance as of 01/01/2026,,"{opening:,.2f}"' in text
    assert f'Ending balance as of 03/16/2026,,"{closing:,.2f}"' in text


def _statements(plaid: PlaidClient, token: str) -> dict[str, list[dict[str, Any]]]:
    listed = plaid.ok("/statements/list", access_token=token)
    return {a["account_mask"]: a["statements"] for a in listed["accounts"]}


def _pdf_text(plaid: PlaidClient, token: str, statement_id: str, artifact: str) -> str:
    reply = plaid.post("/statements/download", access_token=token, statement_id=statement_id)
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(reply.data)
    for number in range(len(document)):
        page = document[number].render(scale=1.5).to_pil()
        page.save(ARTIFACTS / f"{artifact}-page{number + 1}.png")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(reply.data)).pages)


def test_card_statement_pdf_shows_the_liabilities_figures(plaid: PlaidClient) -> None:
    token, _, accounts = _linked(plaid)
    card = accounts["3333"]
    credit = plaid.ok(
        "/liabilities/get", access_token=token, options={"account_ids": [card["account_id"]]}
    )["liabilities"]["credit"][0]
    closing = credit["last_statement_issue_date"]
    statement = next(s for s in _statements(plaid, token)["3333"] if s["date_posted"] > closing)
    text = _pdf_text(plaid, token, statement["statement_id"], "chase-card")
    assert "Credit Card Statement" in text
    assert f"New balance ${credit['last_statement_balance']:,.2f}" in text
    assert f"Minimum payment due ${credit['minimum_payment_amount']:,.2f}" in text
    assert f"Purchase APR {credit['aprs'][0]['apr_percentage']:.2f}%" in text
    due = dt.date.fromisoformat(closing) + dt.timedelta(days=25)  # as /liabilities/get says
    assert f"Payment due date {due:%m/%d/%Y}" in text
    if due > dt.date(2026, 3, 16):
        assert due.isoformat() == credit["next_payment_due_date"]


def test_deposit_statement_pdf_has_both_balances_and_every_transaction(plaid: PlaidClient) -> None:
    token, item_id, accounts = _linked(plaid, "ins_109508")
    checking = accounts["0000"]
    february = next(
        s for s in _statements(plaid, token)["0000"] if (s["year"], s["month"]) == (2026, 2)
    )
    text = _pdf_text(plaid, token, february["statement_id"], "first-platypus-checking")
    balances = _get(
        plaid,
        f"/control/items/{item_id}/balances",
        start="2026-01-31",
        end="2026-02-28",
        account_id=checking["account_id"],
    ).get_json()["accounts"][0]["balances"]
    assert f"Opening balance ${balances[0]['current']:,.2f}" in text
    assert f"Closing balance ${balances[-1]['current']:,.2f}" in text
    rows = plaid.ok(
        "/transactions/get",
        access_token=token,
        start_date="2026-02-01",
        end_date="2026-02-28",
        options={"count": 500, "account_ids": [checking["account_id"]]},
    )["transactions"]
    flat = " ".join(text.split())
    for t in rows:
        assert f"{t['date'][5:7]}/{t['date'][8:10]}/2026 {t['name'][:60]}" in flat


def test_statement_pdf_is_the_same_bytes_on_every_download(plaid: PlaidClient) -> None:
    token, _, _ = _linked(plaid, "ins_109508")
    first = _statements(plaid, token)["0000"][0]["statement_id"]
    one = plaid.post("/statements/download", access_token=token, statement_id=first)
    two = plaid.post("/statements/download", access_token=token, statement_id=first)
    assert one.data == two.data
    assert one.headers["Plaid-Content-Hash"] == two.headers["Plaid-Content-Hash"]


def test_statements_bad_input_names_the_field(plaid: PlaidClient) -> None:
    token, item_id, accounts = _linked(plaid, "ins_109508")
    error = plaid.error("/statements/download", access_token=token, statement_id="stmt-x-202601")
    assert (error["error_code"], error["http_status"]) == ("INVALID_FIELD", 400)
    assert "statement_id" in error["error_message"]
    error = plaid.error(
        "/statements/refresh", access_token=token, start_date="2026-03-01", end_date="2026-01-01"
    )
    assert error["error_code"] == "INVALID_FIELD" and "end_date" in error["error_message"]
    error = plaid.error(
        "/statements/refresh", access_token=token, start_date="2023-01-01", end_date="2026-01-01"
    )  # over Plaid's two years: the message names the field
    assert error["error_code"] == "INVALID_FIELD" and "start_date" in error["error_message"]
    reply = _get(
        plaid,
        f"/control/items/{item_id}/accounts/{accounts['0000']['account_id']}/export",
        format="xls",
    )
    assert reply.status_code == 400 and reply.get_json()["error"]["field"] == "format"
    reply = _get(
        plaid,
        f"/control/items/{item_id}/accounts/{accounts['0000']['account_id']}/export",
        end="0001-01-01",
    )
    assert reply.status_code == 400 and reply.get_json()["error"]["field"] == "end"


@pytest.mark.parametrize(
    ("mask", "month"),
    [("0000", "202613"), ("0000", "202600"), ("0000", "000001"), ("3333", "000101")],
)
def test_statement_id_of_a_month_outside_the_calendar_is_an_unknown_statement(
    plaid: PlaidClient, mask: str, month: str
) -> None:
    """Month 13, month 00 and year 0000 were a ValueError building the date, and a card's
    January of year 1 one building the cycle before it: a 500 from Plaid's download and the
    control API's. They are unknown statements, as any other id of no statement is."""
    token, item_id, accounts = _linked(plaid)
    statement_id = f"stmt-{accounts[mask]['account_id']}-{month}"
    error = plaid.error("/statements/download", access_token=token, statement_id=statement_id)
    assert (error["error_code"], error["http_status"]) == ("INVALID_FIELD", 400)
    assert "statement_id" in error["error_message"]
    reply = _get(plaid, f"/control/items/{item_id}/statements/{statement_id}")
    assert reply.status_code == 400 and reply.get_json()["error"]["field"] == "statement_id"


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize(
    "respell",
    [
        lambda listed: listed + "\n",
        lambda listed: listed[:-6] + listed[-6:].translate(ARABIC_INDIC),
    ],
    ids=["newline after it", "arabic-indic digits"],
)
def test_a_listed_statement_id_spelled_otherwise_is_an_unknown_statement(
    plaid: PlaidClient, respell: Callable[[str], str]
) -> None:
    """The id's pattern ended in ``$``, which also matches before a final newline, and its
    ``\\d`` took any script's digits: both spellings downloaded the listed statement."""
    token = _linked(plaid)[0]
    listed = plaid.ok("/statements/list", access_token=token)["accounts"][0]["statements"][0]
    statement_id = respell(listed["statement_id"])
    error = plaid.error("/statements/download", access_token=token, statement_id=statement_id)
    assert (error["error_code"], error["http_status"]) == ("INVALID_FIELD", 400)


def test_statements_at_a_bank_without_them_is_products_not_supported(plaid: PlaidClient) -> None:
    token = plaid.link_item("ins_109512")
    error = plaid.error("/statements/list", access_token=token)
    assert error["error_code"] == "PRODUCTS_NOT_SUPPORTED"
