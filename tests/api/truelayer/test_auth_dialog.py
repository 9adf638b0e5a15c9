"""The auth dialog: the auth link, picker, mock sign-in, OAuth banks, consent and the redirect."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from sandbox.core.models import Consent
from sandbox.extensions import db

from .auth_helpers import CHALLENGE, REDIRECT, AuthDialog, csrf_of, query_of
from .auth_helpers import tl_auth as tl_auth  # the fixture
from .conftest import MOCK_BANK, TrueLayerData

pytestmark = pytest.mark.usefixtures("tl_auth")


def test_auth_link_opens_the_provider_picker(tl_auth: AuthDialog) -> None:
    opened = tl_auth.open()
    assert opened.status_code == 303
    page = tl_auth.client.get(opened.headers["Location"]).text
    offered = re.findall(r'data-provider="([^"]+)"', page)
    assert offered[0] == "mock" and "ob-barclays" in offered and "ob-monzo" in offered
    assert "xs2a-ing" not in offered  # not in uk-ob-all / uk-oauth-all / uk-cs-mock


def test_dialog_pages_name_the_sandboxs_favicon(tl_auth: AuthDialog) -> None:
    """Without an icon link the browser asks for ``/favicon.ico``, a 404 in its console."""
    page = tl_auth.client.get(tl_auth.open().headers["Location"]).text
    assert 'rel="icon" href="/static/web/favicon.svg"' in page


def test_home_page_without_response_type_is_the_landing_page(tl_auth: AuthDialog) -> None:
    assert "Bank sandbox" in tl_auth.client.get("/").text


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"providers": "uk-cs-mock"}, ["mock"]),
        ({"providers": None, "enable_mock": "true"}, ["mock"]),
        ({"providers": "uk-ob-all", "disable_providers": "ob-monzo"}, ["ob-barclays"]),
        ({"providers": "ob-monzo xs2a-ing"}, ["ob-monzo", "xs2a-ing"]),
    ],
)
def test_providers_and_legacy_flags_choose_the_banks(
    tl_auth: AuthDialog, params: dict[str, str], expected: list[str]
) -> None:
    page = tl_auth.client.get(tl_auth.open(**params).headers["Location"]).text
    offered = re.findall(r'data-provider="([^"]+)"', page)
    assert offered[: len(expected)] == expected and set(expected) <= set(offered)
    if params.get("disable_providers"):
        assert params["disable_providers"] not in offered


def test_mock_user_flow_returns_code_and_state(tl_auth: AuthDialog) -> None:
    back = tl_auth.authorize()
    assert back["state"] == "st-1" and len(back["code"]) > 20
    assert back["scope"].split()[0] == "info"


def test_sandbox_prefixed_client_id_works(tl_auth: AuthDialog) -> None:
    back = tl_auth.authorize(client_id=f"sandbox-{tl_auth.keys.client_id}")
    assert tl_auth.exchange(back["code"]).status_code == 200


def test_provider_id_skips_the_picker(tl_auth: AuthDialog) -> None:
    opened = tl_auth.open(provider_id="mock")
    page = tl_auth.client.get(opened.headers["Location"]).text
    assert 'name="username"' in page and "Sign in to Mock" in page


def test_provider_id_must_be_offered(tl_auth: AuthDialog) -> None:
    opened = tl_auth.open(providers="uk-cs-mock", provider_id="ob-monzo")
    assert opened.status_code == 302
    assert query_of(opened) | {} == {
        "error": "invalid_request",
        "error_description": "provider_id is not among providers",
        "state": "st-1",
    }


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"scope": None}, "invalid_request"),
        ({"code_challenge": CHALLENGE, "code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": "S256"}, "invalid_request"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"providers": "nobody"}, "invalid_request"),
    ],
)
def test_bad_link_parameters_go_back_to_the_app(
    tl_auth: AuthDialog, params: dict[str, str], error: str
) -> None:
    opened = tl_auth.open(**params)
    assert opened.status_code == 302 and opened.headers["Location"].startswith(REDIRECT)
    assert query_of(opened)["error"] == error and query_of(opened)["state"] == "st-1"


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        ({"client_id": "nobody"}, 400, "invalid_client"),
        ({"redirect_uri": "https://evil.example/cb"}, 401, "unauthorized_client"),
        ({"redirect_uri": None}, 401, "unauthorized_client"),
    ],
)
def test_untrusted_app_gets_an_error_page_not_a_redirect(
    tl_auth: AuthDialog, params: dict[str, str], status: int, error: str
) -> None:
    opened = tl_auth.open(**params)
    assert opened.status_code == status and "Location" not in opened.headers
    assert "We could not connect your bank" in opened.text and error in opened.text


def test_cancel_returns_access_denied(tl_auth: AuthDialog) -> None:
    dialog = tl_auth.open().headers["Location"]
    cancelled = tl_auth.post(dialog, "cancel")
    assert cancelled.status_code == 302
    assert query_of(cancelled) == {
        "error": "access_denied",
        "error_description": "the user cancelled",
        "state": "st-1",
    }
    assert tl_auth.client.get(dialog).status_code == 404  # the dialog is over


def test_wrong_password_stays_on_the_sign_in_page(tl_auth: AuthDialog) -> None:
    dialog = tl_auth.open(provider_id="mock").headers["Location"]
    refused = tl_auth.post(dialog, "login", username="john", password="wrong")
    assert refused.status_code == 400 and "Invalid username or password." in refused.text


def test_form_without_csrf_token_is_refused(tl_auth: AuthDialog) -> None:
    dialog = urlsplit(tl_auth.open(provider_id="mock").headers["Location"]).path
    refused = tl_auth.client.post(f"{dialog}/login", data={"username": "john", "password": "doe"})
    assert refused.status_code == 400


def test_form_with_a_non_ascii_csrf_token_is_refused_not_a_500(tl_auth: AuthDialog) -> None:
    """``compare_digest`` raises on a str holding non-ASCII: the token is compared as bytes."""
    dialog = tl_auth.open(provider_id="mock").headers["Location"]
    tl_auth.client.get(dialog)  # the session has a token
    form = {"csrf_token": "\u00e9", "username": "john", "password": "doe"}
    refused = tl_auth.client.post(f"{urlsplit(dialog).path}/login", data=form)
    assert refused.status_code == 400 and "nothing was signed in or shared" in refused.text


@pytest.mark.parametrize(("step", "form"), [("login", {"username": "john"}), ("consent", {})])
def test_a_form_sent_after_the_session_was_lost_says_the_sign_in_ended(
    tl_auth: AuthDialog, step: str, form: dict[str, str]
) -> None:
    """Cookies cleared mid-dialog: the page said "Go back, reload the page and try again",
    which led nowhere (the dialog lived in the lost session); it says the sign-in ended and
    nothing was shared, and sends the user back to the app."""
    dialog = tl_auth.open(provider_id="mock").headers["Location"]
    if step == "consent":
        tl_auth.post(dialog, "login", username="john", password="doe")
    token = csrf_of(tl_auth.client.get(dialog).text)
    tl_auth.client.delete_cookie("session")
    sent = tl_auth.client.post(
        f"{urlsplit(dialog).path}/{step}", data={"csrf_token": token, **form}
    )
    page = sent.text
    assert sent.status_code == 400 and '<h1 id="pane-title">This sign-in has ended</h1>' in page
    assert "nothing was signed in or shared" in page and "reload" not in page
    assert "Go back to the app" in page and "/dashboard" not in page


def test_consent_page_says_what_is_shared_and_until_when(tl_auth: AuthDialog) -> None:
    dialog = tl_auth.open(provider_id="mock").headers["Location"]
    tl_auth.post(dialog, "login", username="john", password="doe")
    page = tl_auth.client.get(dialog).text
    assert "Standing orders" in page and "Mock Visa Credit Card" in page
    assert 'For 90 days, until <strong><time datetime="2026-06-14">' in page


def _app_named_on(tl_auth: AuthDialog, step: str) -> str:
    """What the dialog's page at ``step`` (``providers`` or ``consent``) calls the app."""
    dialog = tl_auth.open(**({"provider_id": "mock"} if step == "consent" else {}))
    location = dialog.headers["Location"]
    if step == "consent":
        tl_auth.post(location, "login", username="john", password="doe")
    page = tl_auth.client.get(location).text
    marker = {"consent": r'<span class="tl-client">(.*?)</span>', "providers": r"<strong>(.*?)</"}
    found = re.search(marker[step], page)
    assert found, page
    return found[1]


@pytest.mark.parametrize("step", ["providers", "consent"])
def test_the_dialog_calls_the_app_by_its_display_name_else_its_client_id(
    tl_auth: AuthDialog, step: str
) -> None:
    """The heading said "Share your Mock data with 5f0c…": app clients had no name. A name
    cleared (``null``) gives the client id back."""
    assert _app_named_on(tl_auth, step) == tl_auth.keys.client_id

    def name(display_name: str | None) -> None:
        tl_auth.client.patch(
            f"/control/truelayer/clients/{tl_auth.keys.client_id}",
            json={"display_name": display_name},
            headers={
                "PLAID-CLIENT-ID": tl_auth.keys.client_id,
                "PLAID-SECRET": tl_auth.keys.secret,
            },
        )

    name("Budget <Buddy>")
    assert _app_named_on(tl_auth, step) == "Budget &lt;Buddy&gt;"
    name(None)
    assert _app_named_on(tl_auth, step) == tl_auth.keys.client_id


DEPOSITS = ["TRANSACTION ACCOUNT 1", "SAVINGS ACCOUNT 1"]
CARDS = ["Mock Visa Credit Card", "Mock Mastercard Credit Card"]


@pytest.mark.parametrize(
    ("scope", "listed"),
    [
        ("accounts", DEPOSITS),
        ("accounts balance transactions direct_debits standing_orders", DEPOSITS),
        ("cards", CARDS),
        ("cards balance transactions", CARDS),
        ("accounts cards", DEPOSITS + CARDS),
        ("info", []),
        ("balance transactions offline_access", []),
    ],
)
def test_consent_page_lists_only_what_the_scopes_share(
    tl_auth: AuthDialog, scope: str, listed: list[str]
) -> None:
    """Accounts with ``accounts``, cards with ``cards``: what the token will read."""
    dialog = tl_auth.open(provider_id="mock", scope=scope).headers["Location"]
    tl_auth.post(dialog, "login", username="john", password="doe")
    page = tl_auth.client.get(dialog).text
    assert re.findall(r'class="account-name">([^<]*)<', page) == listed
    assert ("From these accounts" in page) == bool(listed)


def test_reconfirmation_page_lists_only_what_the_scopes_share(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens(scope="accounts offline_access")
    reply = tl_auth.extend(tokens["refresh_token"], user_has_reconfirmed_consent=False)
    dialog = tl_auth.follow(reply.get_json()["user_input_link"]).headers["Location"]
    page = tl_auth.client.get(dialog).text
    assert re.findall(r'class="account-name">([^<]*)<', page) == DEPOSITS


def test_bank_outage_at_allow_goes_back_to_the_app(
    tl_auth: AuthDialog, truelayer: TrueLayerData
) -> None:
    """As every other failure of the dialog: ``?error=provider_error&state=…``, no dead end."""
    dialog = tl_auth.open(provider_id="mock").headers["Location"]
    tl_auth.post(dialog, "login", username="john", password="doe")
    bank = truelayer.bank()
    bank.faults.set_health(MOCK_BANK, "DOWN", bank.now())
    db.session.commit()
    failed = tl_auth.post(dialog, "consent")
    assert failed.status_code == 302 and failed.headers["Location"].startswith(REDIRECT)
    back = query_of(failed)
    assert (back["error"], back["state"]) == ("provider_error", "st-1") and "code" not in back
    assert back["error_description"]
    assert tl_auth.client.get(dialog).status_code == 404  # the dialog is over


def test_form_post_mode_posts_code_and_state(tl_auth: AuthDialog) -> None:
    dialog = tl_auth.open(provider_id="mock", response_mode="form_post").headers["Location"]
    tl_auth.post(dialog, "login", username="john", password="doe")
    page = tl_auth.post(dialog, "consent")
    assert page.status_code == 200
    assert f'<form method="post" action="{REDIRECT}"' in page.text
    assert 'name="state" value="st-1"' in page.text
    code = re.search(r'name="code" value="([^"]+)"', page.text)
    assert code and tl_auth.exchange(code[1]).status_code == 200


def test_form_post_page_csp_allows_its_own_script_and_no_other(tl_auth: AuthDialog) -> None:
    """The script that submits the form runs under the page's CSP by its hash alone (no
    ``'unsafe-inline'``); the next page is script-free again."""
    dialog = tl_auth.open(provider_id="mock", response_mode="form_post").headers["Location"]
    tl_auth.post(dialog, "login", username="john", password="doe")
    page = tl_auth.post(dialog, "consent")
    (script,) = re.findall(r"<script>(.*?)</script>", page.text)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = page.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'none'; ")
    assert policy.endswith(f"; script-src 'sha256-{digest}'")
    picker = tl_auth.client.get(tl_auth.open().headers["Location"])
    assert "script-src" not in picker.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "username",
    [
        "error.account_permanently_locked",
        "error.account_temporarily_locked",
        "error.internal_error",
        "error.provider_error",
        "error.user_input_required",
        "error.wrong_credentials",
        "error.sca_exceeded",
        "error.provider_too_many_requests",
    ],
)
def test_error_users_sign_in_and_get_tokens(tl_auth: AuthDialog, username: str) -> None:
    tokens = tl_auth.tokens(username=username, password="error")
    me = tl_auth.bearer("GET", "/data/v1/me", tokens["access_token"])
    assert (
        me.status_code == 200 and me.get_json()["results"][0]["provider"]["provider_id"] == "mock"
    )


@pytest.mark.parametrize(
    ("username", "password"), [("john42", "doe42"), ("john", "iban"), ("john", "eternal")]
)
def test_mock_users_sign_in(tl_auth: AuthDialog, username: str, password: str) -> None:
    assert tl_auth.tokens(username=username, password=password)["access_token"]


def bank_sign_in(tl_auth: AuthDialog, bank_url: str, username: str, password: str) -> str:
    """Sign in on a bank's own authorize page; returns its consent page."""
    page = tl_auth.client.get(bank_url).text
    form = {"username": username, "password": password, "action": "login"}
    tl_auth.client.post(bank_url, data={"csrf_token": csrf_of(page), **form})
    return str(tl_auth.client.get(bank_url).text)


def test_oauth_bank_round_trip_through_the_bank_page(tl_auth: AuthDialog) -> None:
    client = tl_auth.client
    dialog = tl_auth.open().headers["Location"]
    to_bank = tl_auth.post(dialog, "provider", provider_id="ob-monzo")
    assert (
        to_bank.status_code == 303 and "/oauth/ins_118923/authorize?" in to_bank.headers["Location"]
    )
    bank_url = to_bank.headers["Location"]
    consent_page = bank_sign_in(tl_auth, bank_url, "user_good", "pass_good")
    assert "Allow TrueLayer to access your data?" in consent_page
    back = client.post(
        bank_url,
        data={"csrf_token": csrf_of(consent_page), "action": "approve", "account": ["0", "1"]},
    )
    assert back.status_code == 302 and "/dialog/oauth-callback?" in back.headers["Location"]
    returned = client.get(back.headers["Location"])
    assert returned.status_code == 303 and returned.headers["Location"].endswith(
        urlsplit(dialog).path
    )
    consent = client.get(dialog).text
    assert "Plaid Checking" in consent and "Plaid Credit Card" not in consent  # 2 accounts shared
    done = tl_auth.post(dialog, "consent")
    tokens = tl_auth.exchange(query_of(done)["code"]).get_json()
    me = tl_auth.bearer("GET", "/data/v1/me", tokens["access_token"]).get_json()["results"][0]
    assert me["provider"]["provider_id"] == "ob-monzo"


def bank_approve(tl_auth: AuthDialog, bank_url: str, username: str, password: str) -> str:
    """Sign in and share every account on a bank's page; returns the bank's way back to the
    dialog."""
    page = bank_sign_in(tl_auth, bank_url, username, password)
    accounts = re.findall(r'name="account" value="(\d+)"', page)
    form = {"csrf_token": csrf_of(page), "action": "approve", "account": accounts}
    return str(tl_auth.client.post(bank_url, data=form).headers["Location"])


def test_oauth_bank_reauthentication_refuses_another_user(tl_auth: AuthDialog) -> None:
    """Back from the bank signed in as someone else: the dialog's sign-in says so."""
    bank_url = tl_auth.open(provider_id="ob-barclays").headers["Location"]
    back = tl_auth.client.get(bank_approve(tl_auth, bank_url, "john9", "doe9"))
    tokens = tl_auth.exchange(query_of(tl_auth.post(back.headers["Location"], "consent"))["code"])
    reply = tl_auth.extend(tokens.get_json()["refresh_token"])
    bank_url = tl_auth.follow(reply.get_json()["user_input_link"]).headers["Location"]
    refused = tl_auth.client.get(bank_approve(tl_auth, bank_url, "john8", "doe8"))
    assert refused.status_code == 400 and "Sign in to Barclays" in refused.text
    assert "sign in as the user who made this connection" in refused.text


def test_oauth_bank_denied_returns_access_denied(tl_auth: AuthDialog) -> None:
    client = tl_auth.client
    dialog = tl_auth.open().headers["Location"]
    bank_url = tl_auth.post(dialog, "provider", provider_id="ob-barclays").headers["Location"]
    bank_sign_in(tl_auth, bank_url, "john", "doe")
    denied = client.post(
        bank_url, data={"csrf_token": csrf_of(client.get(bank_url).text), "action": "deny"}
    )
    back = client.get(denied.headers["Location"])
    assert query_of(back)["error"] == "access_denied" and query_of(back)["state"] == "st-1"


ERROR_PASSWORDS = [
    ("error_ITEM_LOCKED", "account_temporarily_locked"),
    ("error_INVALID_CREDENTIALS", "wrong_credentials"),
    ("error_INSTITUTION_DOWN", "provider_error"),
    ("error_NO_ACCOUNTS", "access_denied"),
]


@pytest.mark.parametrize(("password", "code"), ERROR_PASSWORDS)
def test_an_error_password_at_a_banks_page_goes_back_to_the_app(
    tl_auth: AuthDialog, password: str, code: str
) -> None:
    """The bank's page kept the user with its message and the app never learnt of it: the
    bank hands the error to the dialog, which sends the app ``?error=<TrueLayer's code>``
    with ``state``, as TrueLayer reports a provider's failure; the dialog is over."""
    client = tl_auth.client
    dialog = tl_auth.open().headers["Location"]
    bank_url = tl_auth.post(dialog, "provider", provider_id="ob-barclays").headers["Location"]
    form = {"username": "user_good", "password": password, "action": "login"}
    to_dialog = client.post(
        bank_url, data={"csrf_token": csrf_of(client.get(bank_url).text), **form}
    )
    assert to_dialog.status_code == 302, to_dialog.text
    back = client.get(to_dialog.headers["Location"])
    assert back.status_code == 302 and back.headers["Location"].startswith(REDIRECT)
    query = query_of(back)
    assert (query["error"], query["state"]) == (code, "st-1") and "code" not in query
    assert query["error_description"] and client.get(dialog).status_code == 404


@pytest.mark.parametrize(("password", "code"), ERROR_PASSWORDS)
def test_an_error_password_at_the_mock_banks_form_goes_back_to_the_app(
    tl_auth: AuthDialog, password: str, code: str
) -> None:
    """As at a bank's own page; a wrong password still stays on the form (above)."""
    dialog = tl_auth.open(provider_id="mock").headers["Location"]
    back = tl_auth.post(dialog, "login", username="john", password=password)
    assert back.status_code == 302 and back.headers["Location"].startswith(REDIRECT)
    assert (query_of(back)["error"], query_of(back)["state"]) == (code, "st-1")
    assert "code" not in query_of(back) and tl_auth.client.get(dialog).status_code == 404


def test_an_error_password_posts_the_error_in_form_post_mode(tl_auth: AuthDialog) -> None:
    dialog = tl_auth.open(provider_id="mock", response_mode="form_post").headers["Location"]
    page = tl_auth.post(dialog, "login", username="john", password="error_ITEM_LOCKED")
    assert page.status_code == 200 and f'<form method="post" action="{REDIRECT}"' in page.text
    assert 'name="error" value="account_temporarily_locked"' in page.text
    assert 'name="state" value="st-1"' in page.text and 'name="code"' not in page.text


def test_a_non_ascii_state_from_the_bank_is_refused_not_a_500(tl_auth: AuthDialog) -> None:
    assert tl_auth.open(provider_id="ob-barclays").status_code == 303  # a dialog awaits its state
    returned = tl_auth.client.get(
        "/dialog/oauth-callback", query_string={"state": "\u00e9", "code": "x"}
    )
    assert returned.status_code == 400 and "already been used or has expired" in returned.text


def test_a_dialog_back_from_the_bank_takes_no_second_callback(tl_auth: AuthDialog) -> None:
    """``state=None`` (the text) used to match a dialog back from the bank and end it."""
    client = tl_auth.client
    bank_url = tl_auth.open(provider_id="ob-barclays").headers["Location"]
    consent_page = bank_sign_in(tl_auth, bank_url, "john", "doe")
    approve = {"csrf_token": csrf_of(consent_page), "action": "approve", "account": "0"}
    back = client.post(bank_url, data=approve)
    dialog = client.get(back.headers["Location"]).headers["Location"]
    replayed = client.get("/dialog/oauth-callback", query_string={"state": "None"})
    assert replayed.status_code == 400
    assert query_of(tl_auth.post(dialog, "consent"))["code"]  # the dialog goes on


@pytest.mark.parametrize("action", ["approve", "deny"])
def test_the_banks_page_again_from_the_history_lands_on_the_dialog(
    tl_auth: AuthDialog, action: str
) -> None:
    """Back from the dialog's consent to the bank's page, through it again: the user was
    told "This sign-in link has already been used" while the dialog waited; they land on
    the dialog's consent, which goes on (a denial from the history changes nothing)."""
    client = tl_auth.client
    bank_url = tl_auth.open(provider_id="ob-barclays").headers["Location"]
    dialog = client.get(bank_approve(tl_auth, bank_url, "john", "doe")).headers["Location"]
    page = bank_sign_in(tl_auth, bank_url, "john", "doe")
    form = {"csrf_token": csrf_of(page), "action": action, "account": "0"}
    again = client.get(client.post(bank_url, data=form).headers["Location"])
    assert again.status_code == 303 and again.headers["Location"] == dialog
    assert "Share your Barclays data" in client.get(dialog).text
    assert query_of(tl_auth.post(dialog, "consent"))["code"]


def test_provider_id_of_an_oauth_bank_goes_straight_to_the_bank(tl_auth: AuthDialog) -> None:
    opened = tl_auth.open(provider_id="ob-barclays")
    assert opened.status_code == 303
    assert opened.headers["Location"].startswith("/oauth/ins_118274/authorize?")
    assert "client_id=ins_118274-" in opened.headers["Location"]


def test_picker_search_filters_the_banks(tl_auth: AuthDialog) -> None:
    dialog = tl_auth.open().headers["Location"]
    page = tl_auth.client.get(dialog, query_string={"q": "mon"}).text
    assert re.findall(r'data-provider="([^"]+)"', page) == ["ob-monzo"]
    empty = tl_auth.client.get(dialog, query_string={"q": "zzz"}).text
    assert "No bank matches" in empty


def test_a_dialog_reached_again_after_it_ended_is_the_dialogs_own_page(
    tl_auth: AuthDialog,
) -> None:
    """Back from the app to the dialog after Allow: TrueLayer's page, not the sandbox's
    developer page (whose links lead into the dashboard), saying the sign-in ended (it said
    "We could not connect your bank" to a user whose bank had just been connected)."""
    dialog = tl_auth.open().headers["Location"]
    tl_auth.post(dialog, "provider", provider_id="mock")
    tl_auth.post(dialog, "login", username="john", password="doe")
    assert tl_auth.post(dialog, "consent").status_code == 302
    again = tl_auth.client.get(dialog, headers={"Accept": "text/html"})
    assert again.status_code == 404 and "This sign-in has ended</h1>" in again.text
    assert "We could not connect your bank" not in again.text  # the user just allowed access
    assert "TrueLayer sandbox</title>" in again.text and "/dashboard" not in again.text


def test_a_double_clicked_allow_makes_one_connection_and_one_code(tl_auth: AuthDialog) -> None:
    """The dialog lives in the cookie, so the second click's request still carries it open:
    it made a second connection (and item) the app never heard of. Sent again once the code
    is used, it goes back to the app with an error, never with that code again."""
    dialog = tl_auth.open(provider_id="mock").headers["Location"]
    tl_auth.post(dialog, "login", username="john", password="doe")
    form = {"csrf_token": csrf_of(tl_auth.client.get(dialog).text)}
    cookie = tl_auth.client.get_cookie("session")
    assert cookie is not None
    first = query_of(tl_auth.client.post(f"{dialog}/consent", data=form))
    tl_auth.client.set_cookie("session", cookie.value)
    second = query_of(tl_auth.client.post(f"{dialog}/consent", data=form))
    assert first["code"] == second["code"]
    mine = select(func.count()).where(Consent.client_id == tl_auth.keys.client_id)
    assert db.session.scalar(mine) == 1
    assert tl_auth.exchange(first["code"]).status_code == 200
    tl_auth.client.set_cookie("session", cookie.value)
    late = query_of(tl_auth.client.post(f"{dialog}/consent", data=form))
    assert late["error"] == "invalid_request" and "code" not in late
