"""Hosted Link through the Flask test client: steps, MFA, errors, CSRF and session results."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from sandbox.web import link as link_pages
from tests.conftest import PlaidClient, unexpected_error


class LinkBrowser:
    """Walks one hosted Link session like a browser (cookies + CSRF token)."""

    def __init__(self, plaid: PlaidClient, token: str | None = None, **config: Any) -> None:
        """A session on ``token``, or on a new link token made with ``config``."""
        body = {
            "client_name": "Demo",
            "language": "en",
            "country_codes": ["US"],
            "user": {"client_user_id": "u1"},
            "products": ["transactions"],
            "hosted_link": {"completion_redirect_uri": "http://localhost/done"},
            **config,
        }
        self.token = token or plaid.ok("/link/token/create", **body)["link_token"]
        self.client: FlaskClient = plaid.client
        page = self.client.get(f"/link?token={self.token}").text
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]  # type: ignore[index]

    def post(self, action: str, **form: Any) -> Any:
        return self.client.post(
            f"/link/{action}", data={"csrf_token": self.csrf, "token": self.token, **form}
        )

    def page(self) -> str:
        return self.client.get(f"/link?token={self.token}").text

    def continue_from(self, done: Any) -> str:
        """Follow a finished step to the success pane; the app URL its Continue leads to."""
        assert done.status_code == 303 and "/link/finished?" in done.headers["Location"]
        pane = self.client.get(done.headers["Location"]).text
        assert '<h1 id="pane-title">Success</h1>' in pane
        target = re.search(r'class="primary button-link" href="([^"]+)"', pane)
        assert target, "no Continue button on the success pane"
        return target[1].replace("&amp;", "&")


def to_credentials(link: LinkBrowser, institution_id: str = "ins_109508") -> None:
    link.post("consent")
    link.post("select", institution_id=institution_id)


def test_link_mfa_questions_two_rounds_then_done(plaid: PlaidClient) -> None:
    link = LinkBrowser(plaid)
    to_credentials(link)
    link.post("credentials", username="user_good", password="mfa_questions_2_1")
    assert "Step 1 of 2" in link.page()
    link.post("mfa", count="1", answer_0="answer_0_0")
    assert "Step 2 of 2" in link.page()
    done = link.post("mfa", count="1", answer_0="answer_1_0")
    assert "public_token=public-sandbox-" in link.continue_from(done)
    sessions = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"]
    results = sessions[0]["results"]
    assert set(results) >= {
        "item_add_results",
        "cra_item_add_results",
        "cra_update_results",
        "bank_income_results",
        "payroll_income_results",
        "document_income_results",
    }
    assert results["item_add_results"][0]["institution"]["institution_id"] == "ins_109508"


def test_link_mfa_wrong_answer_shows_invalid_mfa(plaid: PlaidClient) -> None:
    link = LinkBrowser(plaid)
    to_credentials(link)
    link.post("credentials", username="user_good", password="mfa_selections")
    link.post("mfa", count="1", answer_0="No")
    page = link.page()
    assert "INVALID_MFA" in page and 'role="alert"' in page


@pytest.mark.parametrize("code", ["ITEM_LOCKED", "INSTITUTION_DOWN", "USER_SETUP_REQUIRED"])
def test_link_error_password_shows_the_error(plaid: PlaidClient, code: str) -> None:
    link = LinkBrowser(plaid)
    to_credentials(link)
    link.post("credentials", username="user_good", password=f"error_{code}")
    assert code in link.page()


def test_link_account_filters_limit_the_item_accounts(plaid: PlaidClient) -> None:
    link = LinkBrowser(
        plaid, account_filters={"depository": {"account_subtypes": ["checking", "savings"]}}
    )
    to_credentials(link)
    done = link.post("credentials", username="user_good", password="pass_good")
    public = public_token_of(link, done)
    access = plaid.ok("/item/public_token/exchange", public_token=public)["access_token"]
    accounts = plaid.ok("/accounts/get", access_token=access)["accounts"]
    assert {a["subtype"] for a in accounts} == {"checking", "savings"}


def public_token_of(link: LinkBrowser, done: Any) -> str:
    """The public token the success pane's Continue hands to the app."""
    return re.search(r"public_token=([^&]+)", link.continue_from(done))[1]  # type: ignore[index]


def _repair_in_update_mode(plaid: PlaidClient, access: str) -> str:
    """Break the item's login, sign in again through update mode; the public token."""
    plaid.ok("/sandbox/item/reset_login", access_token=access)
    update = LinkBrowser(plaid, access_token=access, products=None)
    update.post("consent")  # update mode goes straight to the item's bank
    done = update.post("credentials", username="user_good", password="pass_good")
    return public_token_of(update, done)


def test_update_mode_public_token_exchanges_to_the_same_access_token(plaid: PlaidClient) -> None:
    access = plaid.link_item()
    item_id = plaid.ok("/item/get", access_token=access)["item"]["item_id"]
    public = _repair_in_update_mode(plaid, access)
    exchanged = plaid.ok("/item/public_token/exchange", public_token=public)
    assert (exchanged["access_token"], exchanged["item_id"]) == (access, item_id)
    assert plaid.ok("/item/get", access_token=access)["item"]["error"] is None


def test_update_mode_public_token_of_a_rotated_access_token_is_stale(plaid: PlaidClient) -> None:
    access = plaid.link_item()
    public = _repair_in_update_mode(plaid, access)
    plaid.ok("/item/access_token/invalidate", access_token=access)
    error = plaid.error("/item/public_token/exchange", public_token=public)
    assert error["error_code"] == "INVALID_ACCESS_TOKEN"


def test_update_mode_adds_the_credit_products_it_names(plaid: PlaidClient) -> None:
    """Plaid: update mode's ``products`` "should be omitted (unless you are using update mode
    to add a credit product, such as Assets, …)". Assets is not added on first use, so this
    is the way an item linked without it gets it; other products named there are ignored."""
    access = plaid.link_item()
    report = {"access_tokens": [access], "days_requested": 30}
    assert plaid.error("/asset_report/create", **report)["error_code"] == "PRODUCT_NOT_ENABLED"
    update = LinkBrowser(plaid, access_token=access, products=["assets", "liabilities"])
    update.post("consent")
    done = update.post("credentials", username="user_good", password="pass_good")
    public_token_of(update, done)
    assert plaid.ok("/item/get", access_token=access)["item"]["products"] == [
        "assets",
        "transactions",
    ]
    plaid.ok("/asset_report/create", **report)


def test_update_mode_credit_product_the_bank_lacks_is_products_not_supported(
    plaid: PlaidClient,
) -> None:
    access = plaid.link_item("ins_109512")  # Houndstooth Bank: no Assets
    update = LinkBrowser(plaid, access_token=access, products=["assets"])
    update.post("consent")
    update.post("credentials", username="user_good", password="pass_good")
    assert "PRODUCTS_NOT_SUPPORTED" in update.page()
    assert plaid.ok("/item/get", access_token=access)["item"]["products"] == ["transactions"]


def _item_products(plaid: PlaidClient, link: LinkBrowser, username: str = "user_good") -> Any:
    """Sign in at the bank picked, exchange the public token; the item of /item/get."""
    done = link.post("credentials", username=username, password="pass_good")
    public = public_token_of(link, done)
    access = plaid.ok("/item/public_token/exchange", public_token=public)["access_token"]
    return plaid.ok("/item/get", access_token=access)["item"]


def test_link_adds_required_if_supported_and_optional_products_the_bank_offers(
    plaid: PlaidClient,
) -> None:
    link = LinkBrowser(
        plaid, required_if_supported_products=["investments"], optional_products=["identity"]
    )
    to_credentials(link, "ins_109512")  # Houndstooth Bank: no Investments
    item = _item_products(plaid, link)
    assert item["products"] == item["billed_products"] == ["identity", "transactions"]
    assert item["consented_products"] == ["identity", "transactions"]


def test_link_leaves_out_an_optional_product_no_account_serves(plaid: PlaidClient) -> None:
    link = LinkBrowser(plaid, optional_products=["investments"])
    to_credentials(link)
    assert _item_products(plaid, link, "user_student")["products"] == ["transactions"]


@pytest.mark.parametrize(
    ("config", "code"),
    [
        ({"products": ["investments"]}, "NO_INVESTMENT_ACCOUNTS"),
        ({"required_if_supported_products": ["investments"]}, "NO_INVESTMENT_ACCOUNTS"),
        (
            {"products": ["auth"], "account_filters": {"credit": {"account_subtypes": ["all"]}}},
            "NO_AUTH_ACCOUNTS",
        ),
    ],
)
def test_link_without_an_account_for_a_required_product_shows_its_error(
    plaid: PlaidClient, config: dict[str, Any], code: str
) -> None:
    """Plaid: "the Item connected by the user must contain at least one compatible account"
    for each product (and each required-if-supported one the bank offers)."""
    link = LinkBrowser(plaid, **config)
    to_credentials(link)
    link.post("credentials", username="user_student", password="pass_good")
    page = link.page()
    assert code in page and 'role="alert"' in page
    sessions = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"]
    assert sessions == []  # no item, no public token


def test_link_picker_respects_country_codes(plaid: PlaidClient) -> None:
    link = LinkBrowser(plaid, country_codes=["GB"])
    link.post("consent")
    page = link.page()
    assert "Monzo" in page and "Chase" not in page
    assert link.post("select", institution_id="ins_56").status_code == 303
    assert "INVALID_INSTITUTION" in link.page()


@pytest.mark.parametrize("product", ["investments_auth", "identity_match"])
def test_link_picker_offers_banks_for_products_that_come_with_another(
    plaid: PlaidClient, product: str
) -> None:
    link = LinkBrowser(plaid, products=[product])
    link.post("consent")
    assert 'value="ins_109508"' in link.page()
    link.post("select", institution_id="ins_109508")
    done = link.post("credentials", username="user_good", password="pass_good")
    assert "public_token=public-sandbox-" in link.continue_from(done)


def test_link_form_without_csrf_token_is_refused(plaid: PlaidClient) -> None:
    link = LinkBrowser(plaid)
    response = link.client.post("/link/consent", data={"token": link.token})
    assert response.status_code == 400
    assert "uses <strong>Link</strong>" in link.page()


def test_an_expired_link_form_gets_links_own_page_with_a_way_on(plaid: PlaidClient) -> None:
    """A form sent after its session was lost: Link's page, with Continue back into Link
    (it was the developer site's error page, with its menu and a link to the home page)."""
    link = LinkBrowser(plaid)
    link.client.delete_cookie("session")
    response = link.post("consent")
    page = response.text
    assert response.status_code == 400 and "This page has expired" in page
    assert "· Link</title>" in page and "/dashboard" not in page
    assert f'href="/link?token={link.token}"' in page


def test_link_form_with_a_non_ascii_csrf_token_is_refused(
    plaid: PlaidClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Compared as bytes: ``compare_digest`` raises on a str holding non-ASCII."""
    link = LinkBrowser(plaid)
    response = link.client.post("/link/consent", data={"csrf_token": "\u00e9", "token": link.token})
    assert response.status_code == 400 and "This page has expired" in response.text
    assert "unhandled error" not in caplog.text  # refused, not a traceback in the log


def test_link_unexpected_error_is_a_500_page_logged_once(
    plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Not the 400 of a bad form: the page said 400 for any exception in a POST."""
    link = LinkBrowser(plaid)
    monkeypatch.setattr(link_pages, "_open", unexpected_error)
    response = link.post("consent")
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert [r.getMessage() for r in caplog.records] == ["unhandled error"]


def test_link_exit_records_on_exit(plaid: PlaidClient) -> None:
    link = LinkBrowser(plaid)
    to_credentials(link)
    link.post("exit")
    session = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"][0]
    assert session["on_exit"]["metadata"]["status"] == "requires_credentials"
    assert session["on_success"] is None


def test_link_unknown_token_is_not_found(plaid: PlaidClient) -> None:
    assert plaid.client.get("/link?token=link-sandbox-nope").status_code == 404


@pytest.mark.parametrize(
    ("client_name", "shown"),
    [("A" * 30, "A" * 30), ("An app whose name runs past thirty", "This Application")],
)
def test_link_shows_a_client_name_over_30_characters_as_this_application(
    plaid: PlaidClient, client_name: str, shown: str
) -> None:
    """plaid.md §2.1: ``client_name`` longer than 30 characters shows "This Application"."""
    page = LinkBrowser(plaid, client_name=client_name).page()
    assert f"{shown} uses <strong>Link</strong>" in page
    assert (client_name in page) == (client_name == shown)


def test_a_form_resubmitted_after_success_shows_the_success_again(plaid: PlaidClient) -> None:
    """Back to the credentials pane and Submit once more: the finished session's pane, not an
    error pane whose Try again linked a second item."""
    link = LinkBrowser(plaid)
    to_credentials(link)
    first = link.post("credentials", username="user_good", password="pass_good")
    public = link.continue_from(first)
    again = link.post("credentials", username="user_good", password="pass_good")
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert link.continue_from(again) == public
    sessions = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"]
    assert len(sessions) == 1 and sessions[0]["results"]["item_add_results"]


def test_a_form_from_a_pane_the_session_has_left_shows_the_current_pane(
    plaid: PlaidClient,
) -> None:
    """Link open in two tabs: the second picks a bank after the first did. Its form is stale,
    so it shows the first's pane; it used to fail the session onto an error pane."""
    link = LinkBrowser(plaid)
    to_credentials(link)
    stale = link.post("select", institution_id="ins_109509")
    assert stale.status_code == 303 and stale.headers["Location"].endswith(link.token)
    page = link.page()
    assert "Enter your First Platypus Bank credentials" in page and 'role="alert"' not in page
    done = link.post("credentials", username="user_good", password="pass_good")
    assert "public_token=" in link.continue_from(done)


@pytest.mark.parametrize("institution_id", ["ins_109508", "ins_127287"])
def test_back_from_a_banks_sign_in_lists_the_banks_again(
    plaid: PlaidClient, institution_id: str
) -> None:
    """A wrong bank picked is no dead end: back to the list (Exit used to be the only way)."""
    link = LinkBrowser(plaid)
    to_credentials(link, institution_id)
    assert "Back to the list of banks" in link.page()
    link.post("back")
    page = link.page()
    assert "Select your bank" in page and "Back to the list of banks" not in page
    link.post("select", institution_id="ins_109509")
    assert "Enter your First Gingham Credit Union credentials" in link.page()


def test_update_mode_has_no_way_back_to_the_banks(plaid: PlaidClient) -> None:
    """Update mode signs in at the item's bank only."""
    link = LinkBrowser(plaid)
    to_credentials(link)
    done = link.post("credentials", username="user_good", password="pass_good")
    public = public_token_of(link, done)
    access = plaid.ok("/item/public_token/exchange", public_token=public)["access_token"]
    update = LinkBrowser(plaid, access_token=access, products=None)
    update.post("consent")
    assert "Back to the list of banks" not in update.page()


def test_a_picker_without_banks_says_none_are_available_not_no_results_for_nothing(
    plaid: PlaidClient,
) -> None:
    """No bank in the sandbox serves Spain: the picker said 'No results for “”' to a user
    who had searched for nothing."""
    link = LinkBrowser(plaid, country_codes=["ES"])
    link.post("consent")
    page = link.page()
    assert "No results for" not in page
    assert "No banks are available for Demo in your country" in page
    assert "<code>country_codes</code>" in page  # the sandbox's hint says why
