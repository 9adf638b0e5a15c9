"""Link's Account Select pane at banks without OAuth, through the Flask test client: the
modes ``link_customization_name`` picks, update mode's ``account_selection_enabled``, and
refused selections (on the pane, never a 500)."""

from __future__ import annotations

import re
from typing import Any

from tests.api.web.test_link_js import EmbeddedLink, embedding, link_token, link_webhooks, names
from tests.api.web.test_link_pages import LinkBrowser, public_token_of, to_credentials
from tests.conftest import PlaidClient

DEPOSITORY = {"depository": {"account_subtypes": ["checking", "savings"]}}


def signed_in(plaid: PlaidClient, password: str = "pass_good", **config: Any) -> LinkBrowser:
    """A session past the credentials pane at a bank without OAuth."""
    link = LinkBrowser(plaid, **config)
    to_credentials(link)
    link.post("credentials", username="user_good", password=password)
    return link


def offered(page: str) -> dict[str, tuple[str, bool]]:
    """The pane's accounts: the name of each by its form value, with its input's type and
    whether it is ticked."""
    rows = re.findall(
        r'<input type="(radio|checkbox)" name="account" value="(\d+)"([^>]*)>\s*'
        r'<span class="account-name">([^<]+)</span>',
        page,
    )
    return {name: (value, kind, "checked" in attrs) for kind, value, attrs, name in rows}  # type: ignore[misc]


def item_accounts(plaid: PlaidClient, link: LinkBrowser, done: Any) -> set[str]:
    public = public_token_of(link, done)
    access = plaid.ok("/item/public_token/exchange", public_token=public)["access_token"]
    return {a["name"] for a in plaid.ok("/accounts/get", access_token=access)["accounts"]}


def test_one_account_mode_offers_radios_and_the_item_has_only_the_chosen_one(
    plaid: PlaidClient,
) -> None:
    link = signed_in(
        plaid, link_customization_name="account_select_one", account_filters=DEPOSITORY
    )
    page = link.page()
    assert '<h1 id="pane-title">Select an account</h1>' in page
    accounts = offered(page)
    assert {kind for _, kind, _ in accounts.values()} == {"radio"}
    assert set(accounts) == {"Plaid Checking", "Plaid Saving"}  # account_filters apply
    assert not any(ticked for *_, ticked in accounts.values())
    done = link.post("accounts", account=accounts["Plaid Saving"][0])
    assert item_accounts(plaid, link, done) == {"Plaid Saving"}
    session = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"][0]
    shared = session["results"]["item_add_results"][0]["accounts"]
    assert [a["name"] for a in shared] == ["Plaid Saving"]
    assert [a["name"] for a in session["on_success"]["metadata"]["accounts"]] == ["Plaid Saving"]
    views = [(e["event_name"], e["event_metadata"].get("view_name")) for e in session["events"]]
    assert views.index(("TRANSITION_VIEW", "SELECT_ACCOUNT")) < views.index(("HANDOFF", None))


def test_multiple_accounts_mode_ticks_none_and_shares_those_ticked(plaid: PlaidClient) -> None:
    link = signed_in(plaid, link_customization_name="account_select_multiple")
    accounts = offered(link.page())
    assert {kind for _, kind, _ in accounts.values()} == {"checkbox"}
    assert len(accounts) > 2 and not any(ticked for *_, ticked in accounts.values())
    done = link.post(
        "accounts", account=[accounts["Plaid Checking"][0], accounts["Plaid Credit Card"][0]]
    )
    assert item_accounts(plaid, link, done) == {"Plaid Checking", "Plaid Credit Card"}


def test_all_accounts_mode_ticks_every_offered_account(plaid: PlaidClient) -> None:
    link = signed_in(
        plaid, link_customization_name="account_select_all", account_filters=DEPOSITORY
    )
    accounts = offered(link.page())
    assert {n: t for n, (_, _, t) in accounts.items()} == {
        "Plaid Checking": True,
        "Plaid Saving": True,
    }
    done = link.post("accounts", account=[v for v, *_ in accounts.values()])
    assert item_accounts(plaid, link, done) == {"Plaid Checking", "Plaid Saving"}


def test_the_pane_follows_mfa(plaid: PlaidClient) -> None:
    link = signed_in(plaid, "mfa_device", link_customization_name="account_select_one")
    link.post("mfa", count="1", answer_0="1234")
    assert "Select an account" in link.page()


def test_without_a_reserved_customization_link_shares_every_account_without_a_pane(
    plaid: PlaidClient,
) -> None:
    link = LinkBrowser(plaid, link_customization_name="default", account_filters=DEPOSITORY)
    to_credentials(link)
    done = link.post("credentials", username="user_good", password="pass_good")
    assert item_accounts(plaid, link, done) == {"Plaid Checking", "Plaid Saving"}


def _refused(link: LinkBrowser, **form: Any) -> str:
    """Submit the pane; it comes back (no item) with its alert's text."""
    response = link.post("accounts", **form)
    assert response.status_code == 303 and "/link/finished" not in response.headers["Location"]
    alert = re.search(r'role="alert" id="selection-error">([^<]+)<', link.page())
    assert alert, "the pane shows no error"
    return alert[1]


def test_refused_selections_stay_on_the_pane_with_the_reason(plaid: PlaidClient) -> None:
    link = signed_in(plaid, link_customization_name="account_select_one")
    checking = offered(link.page())["Plaid Checking"][0]
    saving = offered(link.page())["Plaid Saving"][0]
    assert _refused(link) == "Choose an account to share."
    assert _refused(link, account=[checking, saving]) == "Choose only one account to share."
    assert "is not an account Link offered" in _refused(link, account="97")
    assert "is not an account Link offered" in _refused(link, account="<x>")
    session = plaid.ok("/link/token/get", link_token=link.token)
    assert session["link_sessions"] == []  # nothing finished, no item
    assert item_accounts(plaid, link, link.post("accounts", account=checking)) == {"Plaid Checking"}


def test_the_pane_refuses_a_form_without_its_csrf_token(plaid: PlaidClient) -> None:
    link = signed_in(plaid, link_customization_name="account_select_multiple")
    response = link.client.post("/link/accounts", data={"token": link.token, "account": "0"})
    assert response.status_code == 400 and "This page has expired" in response.text
    assert "Select accounts" in link.page()


def test_exit_from_the_pane_is_requires_account_selection(plaid: PlaidClient) -> None:
    link = signed_in(plaid, link_customization_name="account_select_multiple")
    link.post("exit")
    session = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"][0]
    assert session["on_exit"]["metadata"]["status"] == "requires_account_selection"


def _update(plaid: PlaidClient, access: str, enabled: bool = True) -> LinkBrowser:
    update = LinkBrowser(
        plaid,
        access_token=access,
        products=None,
        update={"account_selection_enabled": enabled},
    )
    update.post("consent")
    update.post("credentials", username="user_good", password="pass_good")
    return update


def test_update_mode_ticks_the_items_accounts_and_unticking_removes_one(
    plaid: PlaidClient,
) -> None:
    link = signed_in(plaid, link_customization_name="account_select_multiple")
    accounts = offered(link.page())
    first = link.post(
        "accounts", account=[accounts["Plaid Checking"][0], accounts["Plaid Saving"][0]]
    )
    access = plaid.ok("/item/public_token/exchange", public_token=public_token_of(link, first))[
        "access_token"
    ]
    update = _update(plaid, access)
    ticked = {n for n, (_, kind, t) in offered(update.page()).items() if t and kind == "checkbox"}
    assert ticked == {"Plaid Checking", "Plaid Saving"}
    now = offered(update.page())
    done = update.post("accounts", account=[now["Plaid Checking"][0], now["Plaid CD"][0]])
    finished = update.client.get(done.headers["Location"]).text
    assert "Not added to the existing connection: Plaid CD" in finished
    names = {a["name"] for a in plaid.ok("/accounts/get", access_token=access)["accounts"]}
    assert names == {"Plaid Checking"}


def test_update_mode_without_account_selection_has_no_pane(plaid: PlaidClient) -> None:
    access = plaid.link_item()
    update = _update(plaid, access, enabled=False)
    assert update.post("exit").status_code == 303  # already finished: no pane to leave
    session = plaid.ok("/link/token/get", link_token=update.token)["link_sessions"][0]
    assert session["on_success"] is not None


def test_link_js_reports_only_the_chosen_account_and_the_pane_as_a_view(
    plaid: PlaidClient,
) -> None:
    link = EmbeddedLink(plaid, link_token(plaid, link_customization_name="account_select_one"))
    link.post("consent")
    link.post("select", institution_id="ins_109508")
    pane = link.post("credentials", username="user_good", password="pass_good")
    events = embedding(pane)["message"]["events"]
    assert events[-1]["event_name"] == "TRANSITION_VIEW"
    assert events[-1]["event_metadata"]["view_name"] == "SELECT_ACCOUNT"
    assert link_webhooks(embedding(pane)["message"]["link_session_id"]) == {}
    value = offered(pane.text)["Plaid Saving"][0]
    message = embedding(link.post("accounts", account=value))["message"]
    assert [a["name"] for a in message["metadata"]["accounts"]] == ["Plaid Saving"]
    assert names(message["events"])[-2:] == ["TRANSITION_VIEW", "HANDOFF"]
    hooks = link_webhooks(message["link_session_id"])
    assert hooks["ITEM_ADD_RESULT"]["public_token"] == message["public_token"]
    assert hooks["SESSION_FINISHED"]["status"] == "SUCCESS"
    access = plaid.ok("/item/public_token/exchange", public_token=message["public_token"])
    accounts = plaid.ok("/accounts/get", access_token=access["access_token"])["accounts"]
    assert [a["name"] for a in accounts] == ["Plaid Saving"]
