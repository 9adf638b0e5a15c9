"""Plaid's quickstart backend, replayed: its calls for each product option, and the checks.

Plaid's quickstart (github.com/plaid/quickstart) cannot be fetched here, and its code must
not be vendored, so these helpers replay what its Python backend (``python/server.py``)
sends, call for call: the same SDK methods, the same parameters, in the same order, for
each route its frontend calls under a ``PLAID_PRODUCTS`` setting. ``plaid_node/
quickstart.mjs`` does the same for its Node backend (``node/index.js``). Where the two
backends differ (the Asset Report's ``days_requested`` and ``options``), each replay follows
its own language.

A *session* is one quickstart run: one developer's keys (a fresh tenant, seed fixed), one
``PLAID_PRODUCTS`` value, one Link session, then the routes of those products.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

import plaid
import requests
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.asset_report_create_request import AssetReportCreateRequest
from plaid.model.asset_report_create_request_options import AssetReportCreateRequestOptions
from plaid.model.asset_report_get_request import AssetReportGetRequest
from plaid.model.asset_report_pdf_get_request import AssetReportPDFGetRequest
from plaid.model.asset_report_user import AssetReportUser
from plaid.model.auth_get_request import AuthGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.identity_get_request import IdentityGetRequest
from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
from plaid.model.investments_holdings_get_request import InvestmentsHoldingsGetRequest
from plaid.model.investments_transactions_get_request import InvestmentsTransactionsGetRequest
from plaid.model.investments_transactions_get_request_options import (
    InvestmentsTransactionsGetRequestOptions,
)
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.liabilities_get_request import LiabilitiesGetRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_statements import LinkTokenCreateRequestStatements
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.sandbox_public_token_create_request_options_statements import (
    SandboxPublicTokenCreateRequestOptionsStatements,
)
from plaid.model.signal_evaluate_request import SignalEvaluateRequest
from plaid.model.statements_download_request import StatementsDownloadRequest
from plaid.model.statements_list_request import StatementsListRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest

from .product_calls import plain

COUNTRY_CODES = ["US", "CA"]  # the quickstart's .env.example
DEFAULT_PRODUCTS = ["auth", "transactions", "signal"]
INSTITUTION = "ins_109508"  # what a tester picks in Link: First Platypus Bank, user_good
SEED = 7
# PLAID_PRODUCTS value -> the routes the quickstart's frontend offers for it; balance, item
# and accounts are offered for every item.
OPTIONS: dict[str, list[str]] = {
    "auth": ["auth"],
    "transactions": ["transactions"],
    "identity": ["identity"],
    "investments": ["holdings", "investments_transactions"],
    "liabilities": ["liabilities"],
    "assets": ["assets"],
    "signal": ["signal_evaluate"],
    "statements": ["statements"],
}
ALWAYS = ["balance", "item", "accounts"]


def routes_for(products: list[str]) -> list[str]:
    """The routes a quickstart run with ``PLAID_PRODUCTS=products`` calls, in order."""
    return [route for p in products for route in OPTIONS[p]] + ALWAYS


def new_session(server: dict[str, Any], products: list[str]) -> dict[str, Any]:
    """A quickstart run's settings: fresh keys (a new tenant, ``SEED``) and its products."""
    created = requests.post(
        f"{server['url']}/control/tenants", json={"name": "quickstart", "seed": SEED}, timeout=10
    )
    assert created.status_code == 201, created.text
    keys = created.json()
    return {
        "url": server["url"],
        "client_id": keys["client_id"],
        "secret": keys["secret"],
        "products": products,
        "country_codes": COUNTRY_CODES,
    }


class QuickstartBackend:
    """The Python quickstart's routes, each making its calls through plaid-python."""

    def __init__(self, session: dict[str, Any]) -> None:
        configuration = plaid.Configuration(
            host=session["url"],
            api_key={
                "clientId": session["client_id"],
                "secret": session["secret"],
                "plaidVersion": "2020-09-14",
            },
        )
        self.client = plaid_api.PlaidApi(plaid.ApiClient(configuration))
        self.products = [Products(p) for p in session["products"]]
        self.country_codes = [CountryCode(c) for c in session["country_codes"]]
        self.access_token: str | None = None

    def create_link_token(self) -> dict[str, Any]:
        request = LinkTokenCreateRequest(
            products=self.products,
            client_name="Plaid Quickstart",
            country_codes=self.country_codes,
            language="en",
            user=LinkTokenCreateRequestUser(client_user_id=str(time.time())),
        )
        if Products("statements") in self.products:
            request["statements"] = LinkTokenCreateRequestStatements(
                end_date=dt.date.today(), start_date=dt.date.today() - dt.timedelta(days=30)
            )
        return plain(self.client.link_token_create(request))

    def link_in_sandbox(self) -> str:
        """What Link hands the frontend, without a browser: ``/sandbox/public_token/create``
        with the link token's products (and its statements window)."""
        options = {}
        if Products("statements") in self.products:
            options["statements"] = SandboxPublicTokenCreateRequestOptionsStatements(
                end_date=dt.date.today(), start_date=dt.date.today() - dt.timedelta(days=30)
            )
        created = self.client.sandbox_public_token_create(
            SandboxPublicTokenCreateRequest(
                institution_id=INSTITUTION,
                initial_products=self.products,
                options=SandboxPublicTokenCreateRequestOptions(**options),
            )
        )
        return str(created.public_token)

    def set_access_token(self, public_token: str) -> dict[str, Any]:
        exchange = self.client.item_public_token_exchange(
            ItemPublicTokenExchangeRequest(public_token=public_token)
        )
        self.access_token = exchange["access_token"]
        return plain(exchange)

    def auth(self) -> dict[str, Any]:
        return plain(self.client.auth_get(AuthGetRequest(access_token=self.access_token)))

    def transactions(self) -> dict[str, Any]:
        cursor, added, modified, removed, has_more = "", [], [], [], True
        while has_more:
            request = TransactionsSyncRequest(access_token=self.access_token, cursor=cursor)
            response = self.client.transactions_sync(request).to_dict()
            added.extend(response["added"])
            modified.extend(response["modified"])
            removed.extend(response["removed"])
            has_more = response["has_more"]
            cursor = response["next_cursor"]
        return plain({"latest_transactions": sorted(added, key=lambda t: t["date"])[-8:]})

    def identity(self) -> dict[str, Any]:
        response = self.client.identity_get(IdentityGetRequest(access_token=self.access_token))
        return plain({"error": None, "identity": response.to_dict()["accounts"]})

    def balance(self) -> dict[str, Any]:
        request = AccountsBalanceGetRequest(access_token=self.access_token)
        return plain(self.client.accounts_balance_get(request))

    def accounts(self) -> dict[str, Any]:
        return plain(self.client.accounts_get(AccountsGetRequest(access_token=self.access_token)))

    def assets(self) -> dict[str, Any]:
        request = AssetReportCreateRequest(
            access_tokens=[self.access_token],
            days_requested=60,
            options=AssetReportCreateRequestOptions(
                webhook="https://www.example.com",
                client_report_id="123",
                user=AssetReportUser(
                    client_user_id="789",
                    first_name="Jane",
                    middle_name="Leah",
                    last_name="Doe",
                    ssn="123-45-6789",
                    phone_number="(555) 123-4567",
                    email="jane.doe@example.com",
                ),
            ),
        )
        token = self.client.asset_report_create(request)["asset_report_token"]
        retries, report, polls = 20, None, 0
        while retries > 0:
            try:
                response = self.client.asset_report_get(
                    AssetReportGetRequest(asset_report_token=token)
                )
                report = response["report"]
                break
            except plaid.ApiException as exc:
                if json.loads(exc.body)["error_code"] != "PRODUCT_NOT_READY":
                    raise
                retries, polls = retries - 1, polls + 1
                time.sleep(1)
        assert report is not None, "timed out when polling for the Asset Report"
        pdf = self.client.asset_report_pdf_get(AssetReportPDFGetRequest(asset_report_token=token))
        with pdf:
            encoded = base64.b64encode(pdf.read()).decode("utf-8")
        return plain({"error": None, "json": report.to_dict(), "pdf": encoded, "polls": polls})

    def holdings(self) -> dict[str, Any]:
        request = InvestmentsHoldingsGetRequest(access_token=self.access_token)
        response = self.client.investments_holdings_get(request)
        return plain({"error": None, "holdings": response.to_dict()})

    def investments_transactions(self) -> dict[str, Any]:
        start_date = dt.datetime.now() - dt.timedelta(days=30)
        end_date = dt.datetime.now()
        request = InvestmentsTransactionsGetRequest(
            access_token=self.access_token,
            start_date=start_date.date(),
            end_date=end_date.date(),
            options=InvestmentsTransactionsGetRequestOptions(),
        )
        response = self.client.investments_transactions_get(request)
        return plain({"error": None, "investments_transactions": response.to_dict()})

    def liabilities(self) -> dict[str, Any]:
        # Only the Node backend has this route; the call is the same SDK method.
        request = LiabilitiesGetRequest(access_token=self.access_token)
        response = self.client.liabilities_get(request)
        return plain({"error": None, "liabilities": response.to_dict()})

    def statements(self) -> dict[str, Any]:
        response = self.client.statements_list(
            StatementsListRequest(access_token=self.access_token)
        )
        request = StatementsDownloadRequest(
            access_token=self.access_token,
            statement_id=response["accounts"][0]["statements"][0]["statement_id"],
        )
        pdf = self.client.statements_download(request)
        with pdf:
            encoded = base64.b64encode(pdf.read()).decode("utf-8")
        return plain({"error": None, "json": response.to_dict(), "pdf": encoded})

    def signal_evaluate(self) -> dict[str, Any]:
        response = self.client.accounts_get(AccountsGetRequest(access_token=self.access_token))
        account_id = response["accounts"][0]["account_id"]
        request = SignalEvaluateRequest(
            access_token=self.access_token,
            account_id=account_id,
            client_transaction_id="txn1234",
            amount=100.00,
        )
        return plain(self.client.signal_evaluate(request))

    def item(self) -> dict[str, Any]:
        response = self.client.item_get(ItemGetRequest(access_token=self.access_token))
        request = InstitutionsGetByIdRequest(
            institution_id=response["item"]["institution_id"], country_codes=self.country_codes
        )
        institution = self.client.institutions_get_by_id(request)
        return plain(
            {
                "error": None,
                "item": response.to_dict()["item"],
                "institution": institution.to_dict()["institution"],
            }
        )

    def run(
        self, public_token: str | None = None, link_token: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A whole session: link token, Link (or ``public_token`` from a real Link run with
        ``link_token``), exchange, then every route of the products; replies by route."""
        out: dict[str, Any] = {"create_link_token": link_token or self.create_link_token()}
        out["set_access_token"] = self.set_access_token(public_token or self.link_in_sandbox())
        routes: dict[str, Callable[[], dict[str, Any]]] = {
            name: getattr(self, name) for name in routes_for([p.value for p in self.products])
        }
        for name, route in routes.items():
            out[name] = route()
        return out


# Checks shared by the Python and the Node replay -----------------------------------------


def check_session(products: list[str], out: dict[str, Any], sdk: str) -> None:
    """Real data from every route a quickstart run with ``products`` called."""
    assert out["create_link_token"]["link_token"].startswith("link-sandbox-")
    assert out["set_access_token"]["access_token"].startswith("access-sandbox-")
    accounts = {a["account_id"]: a for a in out["accounts"]["accounts"]}
    assert len(accounts) >= 2
    balances = out["balance"]["accounts"]
    assert [a["account_id"] for a in balances] == list(accounts)
    assert all(a["balances"]["current"] is not None for a in balances)
    item, institution = out["item"]["item"], out["item"]["institution"]
    assert item["institution_id"] == INSTITUTION == institution["institution_id"]
    assert institution["name"] == "First Platypus Bank"
    assert set(products) <= set(item["products"]) | set(item.get("billed_products") or [])
    for route in routes_for(products):
        CHECKS.get(route, lambda _o, _a, _s: None)(out[route], accounts, sdk)


def _tomorrow() -> str:
    """A bound for the sandbox's dates (its clock is UTC; the quickstart's dates are local)."""
    return (dt.date.today() + dt.timedelta(days=1)).isoformat()


def _auth(reply: dict[str, Any], accounts: dict[str, Any], _sdk: str) -> None:
    ach = reply["numbers"]["ach"]
    assert ach and all(n["account_id"] in accounts and len(n["routing"]) == 9 for n in ach)


def _transactions(reply: dict[str, Any], accounts: dict[str, Any], _sdk: str) -> None:
    latest = reply["latest_transactions"]
    assert len(latest) == 8
    assert [t["date"] for t in latest] == sorted(t["date"] for t in latest)
    assert all(t["account_id"] in accounts and t["name"] for t in latest)
    assert latest[-1]["date"] <= _tomorrow()


def _identity(reply: dict[str, Any], accounts: dict[str, Any], _sdk: str) -> None:
    owners = [o for a in reply["identity"] for o in a["owners"]]
    assert owners and all(o["names"] and o["addresses"] for o in owners)


def _holdings(reply: dict[str, Any], accounts: dict[str, Any], _sdk: str) -> None:
    holdings = reply["holdings"]
    assert holdings["holdings"] and holdings["securities"]
    assert {h["security_id"] for h in holdings["holdings"]} <= {
        s["security_id"] for s in holdings["securities"]
    }
    assert {h["account_id"] for h in holdings["holdings"]} <= set(accounts)


def _investments_transactions(reply: dict[str, Any], accounts: dict[str, Any], _sdk: str) -> None:
    got = reply["investments_transactions"]
    rows = got["investment_transactions"]
    assert rows and got["total_investment_transactions"] >= len(rows)
    month_ago = (dt.date.today() - dt.timedelta(days=32)).isoformat()
    assert all(month_ago <= t["date"] <= _tomorrow() for t in rows)
    assert {t["account_id"] for t in rows} <= set(accounts)


def _liabilities(reply: dict[str, Any], accounts: dict[str, Any], _sdk: str) -> None:
    liabilities = reply["liabilities"]["liabilities"]
    assert liabilities["credit"] and liabilities["student"] and liabilities["mortgage"]


def _assets(reply: dict[str, Any], accounts: dict[str, Any], sdk: str) -> None:
    report = reply["json"]
    days = 60 if sdk == "python" else 10  # each backend's own days_requested
    assert report["days_requested"] == days
    report_accounts = report["items"][0]["accounts"]
    assert {a["account_id"] for a in report_accounts} == set(accounts)
    checking = next(a for a in report_accounts if a["subtype"] == "checking")
    assert len(checking["historical_balances"]) == days and checking["transactions"]
    assert base64.b64decode(reply["pdf"]).startswith(b"%PDF-")


def _statements(reply: dict[str, Any], accounts: dict[str, Any], _sdk: str) -> None:
    listed = reply["json"]["accounts"]
    assert listed[0]["statements"] and listed[0]["account_id"] in accounts
    assert base64.b64decode(reply["pdf"]).startswith(b"%PDF-")


def _signal(reply: dict[str, Any], accounts: dict[str, Any], _sdk: str) -> None:
    scores = reply["scores"]
    for kind in ("customer_initiated_return_risk", "bank_initiated_return_risk"):
        assert 1 <= scores[kind]["score"] <= 99 and scores[kind]["risk_tier"]
    assert reply["core_attributes"] and reply["ruleset"]["result"] in (
        "ACCEPT",
        "REVIEW",
        "REROUTE",
    )


CHECKS: dict[str, Callable[[dict[str, Any], dict[str, Any], str], None]] = {
    "auth": _auth,
    "transactions": _transactions,
    "identity": _identity,
    "holdings": _holdings,
    "investments_transactions": _investments_transactions,
    "liabilities": _liabilities,
    "assets": _assets,
    "statements": _statements,
    "signal_evaluate": _signal,
}


def fingerprint(out: dict[str, Any]) -> dict[str, Any]:
    """What a session's data must share across SDKs under the same seed and day: account
    names, masks and balances, holdings, securities."""
    found: dict[str, Any] = {
        "accounts": sorted(
            (a["name"], a["mask"], a["balances"]["current"]) for a in out["accounts"]["accounts"]
        )
    }
    if "holdings" in out:
        holdings = out["holdings"]["holdings"]
        found["holdings"] = sorted(
            (h["quantity"], h["institution_value"]) for h in holdings["holdings"]
        )
        found["tickers"] = sorted(str(s["ticker_symbol"]) for s in holdings["securities"])
    if "auth" in out:
        found["ach"] = sorted((n["account"], n["routing"]) for n in out["auth"]["numbers"]["ach"])
    return found
