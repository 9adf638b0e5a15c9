"""Link's panes through the test client: success, error, MFA hint, its own 404, bank marks,
and update mode at an OAuth bank ticking (and keeping) only what the user shares."""

from __future__ import annotations

import re
from typing import Any

import pytest
from freezegun import freeze_time

from sandbox.core import institutions
from sandbox.web.marks import bank_site, initials
from tests.api.plaid.test_microdeposits import SAME_DAY
from tests.api.web.test_link_pages import LinkBrowser, to_credentials
from tests.conftest import PlaidClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_link_success_pane_lists_the_shared_accounts_then_continues_to_the_app(
    plaid: PlaidClient,
) -> None:
    link = LinkBrowser(plaid, client_name="Budget Buddy")
    to_credentials(link)
    done = link.post("credentials", username="user_good", password="pass_good")
    pane = link.client.get(done.headers["Location"]).text
    assert "connected to Budget Buddy" in pane and "Plaid Checking" in pane and "••0000" in pane
    target = link.continue_from(done)
    assert target.startswith("http://localhost/done?link_session_id=")
    assert "public_token=public-sandbox-" in target


def test_link_success_without_a_redirect_folds_the_public_token_away(plaid: PlaidClient) -> None:
    link = LinkBrowser(plaid, hosted_link={})
    to_credentials(link)
    done = link.post("credentials", username="user_good", password="pass_good")
    pane = link.client.get(done.headers["Location"]).text
    assert "You can close this window" in pane
    assert "<summary>Developer details</summary>" in pane and 'id="public-token"' in pane


def error_pane(page: str) -> tuple[str, str]:
    """The error pane's heading and the body of its alert (HTML)."""
    heading = re.search(r'<h1 id="pane-title">([^<]+)</h1>', page)
    assert heading, "no error pane"
    body = re.search(r"</h1>\s*<p>([^<]*)</p>", page)
    assert body
    return heading[1], body[1]


def test_link_error_pane_has_a_short_title_the_message_and_folded_details(
    plaid: PlaidClient,
) -> None:
    link = LinkBrowser(plaid)
    to_credentials(link)
    link.post("credentials", username="user_good", password="wrong")
    page = link.page()
    title, body = error_pane(page)
    assert title == "Wrong username or password"
    alert = page[page.index('role="alert"') : page.index("</div>", page.index('role="alert"'))]
    assert body in alert and body.startswith("The credentials you provided were incorrect")
    assert "INVALID_CREDENTIALS" not in alert  # the developer's words are folded away
    details = page[page.index('<details class="dev">') :]
    assert "<summary>Developer details</summary>" in details and "INVALID_CREDENTIALS" in details


def test_investments_move_without_an_investment_account_ends_with_its_error(
    plaid: PlaidClient,
) -> None:
    """Link for Investments Move (``investments_auth``) with a user who has no investment
    account made an item whose ``/investments/auth/get`` could only fail; Plaid's Link ends
    with ``NO_INVESTMENT_AUTH_ACCOUNTS``, and the app learns it on exit."""
    link = LinkBrowser(plaid, products=["investments_auth"])
    to_credentials(link)
    link.post("credentials", username="user_student", password="pass_good")
    page = link.page()
    assert error_pane(page)[0] == "No eligible accounts"
    assert "NO_INVESTMENT_AUTH_ACCOUNTS" in page[page.index('<details class="dev">') :]
    link.post("exit")
    (session,) = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"]
    assert session["on_success"] is None
    assert session["exit"]["error"]["error_code"] == "NO_INVESTMENT_AUTH_ACCOUNTS"


def test_login_required_pane_has_its_title_and_sentences(plaid: PlaidClient) -> None:
    """ITEM_LOGIN_REQUIRED showed "Something went wrong" over lower-case words; the pane shows
    the display message, and the developer details keep the API's error_message as Plaid
    writes it."""
    link = LinkBrowser(plaid)
    to_credentials(link)
    link.post("credentials", username="user_good", password="error_ITEM_LOGIN_REQUIRED")
    page = link.page()
    assert error_pane(page) == (
        "Log in to your bank again",
        "Please update your login credentials.",
    )
    assert "<dd>the login details of this item have changed (credentials" in page


@pytest.mark.parametrize(
    ("routing", "account", "title", "body"),
    [
        ("11000000", "1111222233330000", "Check the routing number", "Routing number must be 9"),
        ("110000000", "111", "Check the account number", "Account number must be 4 to 17"),
    ],
)
def test_mistyped_bank_numbers_get_a_pane_naming_the_field(
    plaid: PlaidClient, routing: str, account: str, title: str, body: str
) -> None:
    """A routing number one digit short showed "Something went wrong. Please try again.",
    the reason only under Developer details."""
    link = LinkBrowser(plaid, **SAME_DAY)
    link.post("consent")
    link.post("manual", routing_number=routing, account_number=account)
    assert error_pane(link.page()) == (title, f"{body} digits.")


def test_manual_entry_fields_ask_the_browser_for_digits(plaid: PlaidClient) -> None:
    """A phone shows its number pad and the browser checks the length before sending; the
    server still judges what arrives (above)."""
    link = LinkBrowser(plaid, **SAME_DAY)
    link.post("consent")
    page = link.page()
    for field, pattern in (("routing_number", "[0-9]{9,9}"), ("account_number", "[0-9]{4,17}")):
        tag = re.search(rf'<input id="{field}"[^>]*>', page)
        assert tag, field
        assert 'inputmode="numeric"' in tag[0] and f'pattern="{pattern}"' in tag[0]


@pytest.mark.parametrize(
    ("password", "hint"),
    [
        ("mfa_device", "the code is <code>1234</code>"),
        ("mfa_questions_1_2", "answers are <code>answer_0_0</code>, <code>answer_0_1</code>"),
        ("mfa_selections", "choose <code>Yes</code>"),
    ],
)
def test_link_mfa_pane_hints_the_sandbox_answer(
    plaid: PlaidClient, password: str, hint: str
) -> None:
    link = LinkBrowser(plaid)
    to_credentials(link)
    link.post("credentials", username="user_good", password=password)
    assert hint in link.page()


def test_link_unknown_token_gets_links_own_404(plaid: PlaidClient) -> None:
    reply = plaid.client.get("/link?token=link-sandbox-nope", headers={"Accept": "text/html"})
    assert reply.status_code == 404
    assert 'class="link-card"' in reply.text and "This link is not valid" in reply.text
    assert "Dashboard" not in reply.text  # not the dashboard's chrome


def test_link_expired_token_gets_links_own_410(plaid: PlaidClient) -> None:
    token = LinkBrowser(plaid).token
    plaid.client.post(
        "/control/clock",
        json={"advance_days": 1},
        headers={"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret},
    )
    with freeze_time("2030-01-01"):
        plaid.client.delete_cookie("session")
        reply = plaid.client.get(f"/link?token={token}")
    assert reply.status_code == 410 and "This link has expired" in reply.text


def test_bank_marks_are_svg_monograms_in_the_banks_colours(plaid: PlaidClient) -> None:
    chase = institutions.get("ins_56")
    reply = plaid.client.get("/bank-marks/ins_56.svg")
    assert reply.status_code == 200 and reply.mimetype == "image/svg+xml"
    assert chase.primary_color in reply.text and ">C</text>" in reply.text
    assert plaid.client.get("/bank-marks/ins_nope.svg").status_code == 404
    assert initials("Bank of America") == "BA" and initials("Wells Fargo") == "WF"


def test_link_picker_shows_each_banks_own_address(plaid: PlaidClient) -> None:
    link = LinkBrowser(plaid)
    link.post("consent")
    page = link.page()
    assert "www.plaid.com" not in page
    assert "chase.com" in page and "firstplatypusbank.example" in page
    assert bank_site(institutions.get("ins_118274")) == "barclays.co.uk"


# -- update mode at an OAuth bank --------------------------------------------------------------


def _oauth_to_consent(link: LinkBrowser) -> str:
    """From Link's OAuth step, sign in at the bank; returns the authorize URL (consent next)."""
    authorize: str = link.post("oauth").headers["Location"]
    _bank_sign_in(link, authorize)
    return authorize


def _bank_sign_in(link: LinkBrowser, authorize: str, password: str = "pass_good") -> Any:
    """Sign in at the bank's authorize page as ``user_good``; the bank's reply."""
    login = link.client.get(authorize).text
    form = {"csrf_token": CSRF.search(login)[1], "action": "login"}  # type: ignore[index]
    return link.client.post(authorize, data={**form, "username": "user_good", "password": password})


def _approve(link: LinkBrowser, authorize: str, accounts: list[str]) -> Any:
    consent = link.client.get(authorize).text
    form = {"csrf_token": CSRF.search(consent)[1], "action": "approve", "account": accounts}  # type: ignore[index]
    back = link.client.post(authorize, data=form)
    assert back.status_code in (302, 303), back.get_data(as_text=True)
    return link.client.get(back.headers["Location"])


def _ticked(page: str) -> set[str]:
    return set(re.findall(r'name="account" value="(\d+)" checked', page))


def test_update_mode_bank_ticks_only_the_items_accounts_and_keeps_the_users_choice(
    plaid: PlaidClient,
) -> None:
    first = LinkBrowser(plaid)
    first.post("consent")
    first.post("select", institution_id="ins_127287")
    authorize = _oauth_to_consent(first)
    public = re.search(
        r"public_token=([^&]+)", first.continue_from(_approve(first, authorize, ["0", "1", "2"]))
    )
    assert public
    access = plaid.ok("/item/public_token/exchange", public_token=public[1])["access_token"]
    assert len(plaid.ok("/accounts/get", access_token=access)["accounts"]) == 3

    update = LinkBrowser(plaid, access_token=access, products=None)
    update.post("consent")  # update mode goes straight to the item's bank
    authorize = _oauth_to_consent(update)
    assert _ticked(update.client.get(authorize).text) == {"0", "1", "2"}
    done = _approve(update, authorize, ["0", "2", "5"])
    pane = update.client.get(done.headers["Location"]).text
    assert "Not added to the existing connection" in pane
    names = [a["name"] for a in plaid.ok("/accounts/get", access_token=access)["accounts"]]
    assert len(names) == 2 and "Plaid Saving" not in names


def _oauth_item(plaid: PlaidClient, accounts: list[str]) -> str:
    """An item at Platypus OAuth Bank sharing ``accounts`` (ordinals); its access token."""
    link = LinkBrowser(plaid)
    link.post("consent")
    link.post("select", institution_id="ins_127287")
    authorize = _oauth_to_consent(link)
    public = re.search(
        r"public_token=([^&]+)", link.continue_from(_approve(link, authorize, accounts))
    )
    assert public
    access: str = plaid.ok("/item/public_token/exchange", public_token=public[1])["access_token"]
    return access


def test_two_update_mode_links_at_one_bank_tick_each_items_own_accounts(
    plaid: PlaidClient,
) -> None:
    """Two items' update-mode Links open in one browser, both sent to the bank: each bank
    page ticked the accounts of the item whose Link went there last (the bank's memory was
    kept per bank, not per trip)."""
    first = LinkBrowser(plaid, access_token=_oauth_item(plaid, ["0", "1"]), products=None)
    second = LinkBrowser(plaid, access_token=_oauth_item(plaid, ["2", "3", "4"]), products=None)
    first.post("consent")
    second.post("consent")
    first_bank = first.post("oauth").headers["Location"]
    second_bank = second.post("oauth").headers["Location"]
    _bank_sign_in(first, first_bank)  # the bank's sign-in serves both tabs, as a bank's does
    assert _ticked(first.client.get(first_bank).text) == {"0", "1"}
    assert _ticked(second.client.get(second_bank).text) == {"2", "3", "4"}


def test_account_filters_that_leave_no_account_end_link_with_no_accounts(
    plaid: PlaidClient,
) -> None:
    """The README's natural trigger of ``NO_ACCOUNTS``: the link token's ``account_filters``
    let none of the bank's accounts through (only PayPal credit, which no login has)."""
    link = LinkBrowser(plaid, account_filters={"credit": {"account_subtypes": ["paypal"]}})
    to_credentials(link)
    link.post("credentials", username="user_good", password="pass_good")
    page = link.page()
    error_pane(page)
    assert "NO_ACCOUNTS" in page[page.index('<details class="dev">') :]


def test_through_the_bank_again_from_the_history_lands_on_how_link_ended(
    plaid: PlaidClient,
) -> None:
    """Back from the success pane to the bank's page, sign in and Allow again: the success
    pane again (one item), not the sandbox's developer page saying the link was used."""
    link = LinkBrowser(plaid)
    link.post("consent")
    link.post("select", institution_id="ins_127287")
    authorize = _oauth_to_consent(link)
    first = _approve(link, authorize, ["0", "1"])
    public = link.continue_from(first)
    _bank_sign_in(link, authorize)
    again = _approve(link, authorize, ["0", "1", "2"])
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert link.continue_from(again) == public
    sessions = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"]
    assert len(sessions) == 1 and len(sessions[0]["results"]["item_add_results"]) == 1


def test_an_unknown_oauth_state_is_links_own_page(plaid: PlaidClient) -> None:
    link = LinkBrowser(plaid)
    page = link.client.get(
        "/link/oauth-callback?state=gone&code=x", headers={"Accept": "text/html"}
    )
    assert page.status_code == 400 and "This sign-in has already ended" in page.text
    assert "· Link</title>" in page.text and "/dashboard" not in page.text


def _exit_error(plaid: PlaidClient, link: LinkBrowser) -> dict[str, Any]:
    """Exit Link from its error pane; the error ``/link/token/get`` reports for the exit."""
    link.post("exit")
    sessions = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"]
    error: dict[str, Any] = sessions[0]["exit"]["error"]
    return error


def test_an_error_password_at_an_oauth_bank_is_links_error_pane_as_at_other_banks(
    plaid: PlaidClient,
) -> None:
    """``error_<CODE>`` at the bank's sign-in hands the user back to Link, whose error pane
    and exit carry that code exactly as a non-OAuth bank's would (the bank's own page kept
    the user there with the message, and Link never learnt of the error)."""
    oauth = LinkBrowser(plaid)
    oauth.post("consent")
    oauth.post("select", institution_id="ins_56")
    authorize = oauth.post("oauth").headers["Location"]
    back = _bank_sign_in(oauth, authorize, "error_ITEM_LOCKED")
    assert back.status_code == 302 and "/link/oauth-callback?" in back.headers["Location"]
    oauth.client.get(back.headers["Location"])
    pane = oauth.page()
    assert error_pane(pane)[0] == "Your account is locked" and "ITEM_LOCKED" in pane

    other = LinkBrowser(plaid)
    to_credentials(other)
    other.post("credentials", username="user_good", password="error_ITEM_LOCKED")
    expected = _exit_error(plaid, other)
    assert expected["error_code"] == "ITEM_LOCKED"
    assert _exit_error(plaid, oauth) == expected


def test_through_the_bank_again_while_link_is_open_lands_on_its_current_pane(
    plaid: PlaidClient,
) -> None:
    """Back from Link's pane after a denial (or a second tab that went to the bank since):
    the bank's return with the older ``state`` shows Link's current pane, as a stale form
    does, not 'This sign-in has already ended' while Link is still open."""
    link = LinkBrowser(plaid)
    link.post("consent")
    link.post("select", institution_id="ins_127287")
    authorize = link.post("oauth").headers["Location"]
    _bank_sign_in(link, authorize)
    consent = link.client.get(authorize).text
    deny = {"csrf_token": CSRF.search(consent)[1], "action": "deny"}  # type: ignore[index]
    link.client.get(link.client.post(authorize, data=deny).headers["Location"])
    assert error_pane(link.page())[0] == "Access not granted"
    _bank_sign_in(link, authorize)  # the bank's page from the history
    back = _approve(link, authorize, ["0"])
    assert back.status_code == 303
    assert back.headers["Location"].endswith(f"/link?token={link.token}")
    assert error_pane(link.page())[0] == "Access not granted"


def test_an_oauth_link_hands_off_once_and_only_on_success(plaid: PlaidClient) -> None:
    """``HANDOFF`` is Link's event for a finished success (Plaid's ``LinkEventName``); the
    return from the bank logged one more, before the item was made, even when it then failed."""
    link = LinkBrowser(plaid)
    link.post("consent")
    link.post("select", institution_id="ins_127287")
    authorize = _oauth_to_consent(link)
    _approve(link, authorize, ["0"])
    session = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"][0]
    names = [e["event_name"] for e in session["events"]]
    assert names == ["OPEN", "SELECT_INSTITUTION", "OPEN_OAUTH", "HANDOFF"]

    failed = LinkBrowser(plaid, account_filters={"credit": {"account_subtypes": ["paypal"]}})
    failed.post("consent")
    failed.post("select", institution_id="ins_127287")
    authorize = _oauth_to_consent(failed)
    _approve(failed, authorize, ["0"])  # the filters let none of the accounts through
    assert error_pane(failed.page())[0] == "No eligible accounts"
    failed.post("exit")
    session = plaid.ok("/link/token/get", link_token=failed.token)["link_sessions"][0]
    names = [e["event_name"] for e in session["events"]]
    assert names == ["OPEN", "SELECT_INSTITUTION", "OPEN_OAUTH", "ERROR", "EXIT"]


@pytest.mark.parametrize("institution_id", ["ins_56", "ins_109508"])
def test_try_again_after_the_banks_own_failure_goes_back_to_the_bank_list(
    plaid: PlaidClient, institution_id: str
) -> None:
    """``INSTITUTION_DOWN`` at an OAuth bank's sign-in: Try again sent the user back to the
    bank that had just failed; as at a bank without OAuth, it offers the bank list, with no
    bank left chosen (an exit from there named the failed bank)."""
    link = LinkBrowser(plaid)
    to_credentials(link, institution_id)
    if institution_id == "ins_56":
        authorize = link.post("oauth").headers["Location"]
        link.client.get(
            _bank_sign_in(link, authorize, "error_INSTITUTION_DOWN").headers["Location"]
        )
    else:
        link.post("credentials", username="user_good", password="error_INSTITUTION_DOWN")
    assert error_pane(link.page())[0] == "Your bank is unavailable"
    link.post("retry")
    assert '<h1 id="pane-title">Select your bank</h1>' in link.page()
    link.post("exit")  # from the list: no bank chosen, as after its back arrow
    sessions = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"]
    exit_metadata = sessions[0]["exit"]["metadata"]
    assert (exit_metadata["status"], exit_metadata["institution"]) == (
        "institution_not_found",
        None,
    )


def test_try_again_after_a_refusal_at_an_oauth_bank_goes_back_to_that_bank(
    plaid: PlaidClient,
) -> None:
    """The user's own refusal (a locked account) is retried at the same bank."""
    link = LinkBrowser(plaid)
    to_credentials(link, "ins_56")
    authorize = link.post("oauth").headers["Location"]
    link.client.get(_bank_sign_in(link, authorize, "error_ITEM_LOCKED").headers["Location"])
    link.post("retry")
    assert "You will be sent to Chase to sign in" in link.page()


def _advance_a_day(plaid: PlaidClient) -> None:
    """Move the tenant's clock past the link token's four hours."""
    headers = {"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret}
    moved = plaid.client.post("/control/clock", json={"advance_days": 1}, headers=headers)
    assert moved.status_code == 200


def test_a_link_token_that_expires_mid_session_exits_with_invalid_link_token(
    plaid: PlaidClient,
) -> None:
    """The session went on and made an item a day after its token expired; Plaid's Link
    exits with ``INVALID_LINK_TOKEN`` (a user taking too long), and the app learns it."""
    link = LinkBrowser(plaid)
    to_credentials(link)
    _advance_a_day(plaid)
    done = link.post("credentials", username="user_good", password="pass_good")
    assert done.status_code == 303 and "status=exited" in done.headers["Location"]
    (session,) = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"]
    assert session["on_success"] is None
    assert session["exit"]["error"]["error_code"] == "INVALID_LINK_TOKEN"


def test_a_link_token_that_expires_at_the_bank_exits_on_the_way_back(plaid: PlaidClient) -> None:
    """Without a completion URI the last pane says the link expired, not "You closed Link"."""
    link = LinkBrowser(plaid, hosted_link={})
    to_credentials(link, "ins_127287")
    authorize = _oauth_to_consent(link)
    _advance_a_day(plaid)
    back = _approve(link, authorize, ["0"])
    assert back.status_code == 303 and "/link/finished?" in back.headers["Location"]
    pane = link.client.get(back.headers["Location"]).text
    assert '<h1 id="pane-title">This link has expired</h1>' in pane
    assert "no account was connected" in pane and "Success" not in pane
