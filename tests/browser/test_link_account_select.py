"""Link's Account Select pane in real Chromium at 1280 px and 390 px: one account (radios),
multiple accounts (checkboxes, a refusal when none is ticked) and update mode with
``account_selection_enabled``; plaid-python against the served sandbox checks that the
exchanged item holds exactly the chosen accounts. Every pane passes ``pagecheck``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.depository_account_subtype import DepositoryAccountSubtype
from plaid.model.depository_account_subtypes import DepositoryAccountSubtypes
from plaid.model.depository_filter import DepositoryFilter
from plaid.model.link_token_account_filters import LinkTokenAccountFilters
from plaid.model.link_token_create_request_update import LinkTokenCreateRequestUpdate
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from playwright.sync_api import Page, expect

from sandbox.testing import LiveSandbox

from .pagecheck import check_page, doc_shot
from .test_link_flows import exchange_accounts, hosted_link, public_token_of, sign_in
from .test_link_panes import narrow, open_link

pytestmark = pytest.mark.browser


def to_the_pane(page: Page, url: str, bank: str | None = "First Platypus Bank") -> None:
    open_link(page, url, bank)
    sign_in(page)
    page.get_by_role("button", name="Submit").click()


def names(accounts: list[Any]) -> set[str]:
    return {a.name for a in accounts}


def test_one_account_mode_shares_only_the_chosen_account(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    page = sized_page
    subtypes = DepositoryAccountSubtypes(
        [DepositoryAccountSubtype("checking"), DepositoryAccountSubtype("savings")]
    )
    filters = LinkTokenAccountFilters(depository=DepositoryFilter(account_subtypes=subtypes))
    to_the_pane(
        page,
        hosted_link(
            sdk, live, link_customization_name="account_select_one", account_filters=filters
        ),
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Select an account")
    radios = page.get_by_role("radio")
    expect(radios).to_have_count(2)  # account_filters apply to the pane
    check_page(page, "select an account")
    doc_shot(page, f"link-select-account-{narrow(page)}")
    page.get_by_role("radio", name=re.compile("Plaid Saving")).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("list", name="Accounts shared")).to_have_text(
        re.compile("Plaid Saving")
    )
    expect(page.get_by_role("list", name="Accounts shared").get_by_role("listitem")).to_have_count(
        1
    )
    _, accounts = exchange_accounts(sdk, public_token_of(page))
    assert names(accounts) == {"Plaid Saving"}


def test_multiple_accounts_mode_refuses_none_then_shares_those_ticked(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    page = sized_page
    to_the_pane(page, hosted_link(sdk, live, link_customization_name="account_select_multiple"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Select accounts")
    expect(page.get_by_role("checkbox", checked=True)).to_have_count(0)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_have_text("Choose an account to share.")
    check_page(page, "select accounts, refused")
    for name in ("Plaid Checking", "Plaid Credit Card"):
        page.get_by_role("checkbox", name=re.compile(name)).check()
    page.keyboard.press("Enter")  # the form sends from a ticked box by keyboard
    _, accounts = exchange_accounts(sdk, public_token_of(page))
    assert names(accounts) == {"Plaid Checking", "Plaid Credit Card"}


def test_update_mode_ticks_the_items_accounts_and_unticking_removes_one(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    page = sized_page
    to_the_pane(page, hosted_link(sdk, live, link_customization_name="account_select_multiple"))
    for name in ("Plaid Checking", "Plaid Saving"):
        page.get_by_role("checkbox", name=re.compile(name)).check()
    page.get_by_role("button", name="Continue").click()
    access_token, _ = exchange_accounts(sdk, public_token_of(page))
    sdk.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=access_token))

    update = LinkTokenCreateRequestUpdate(account_selection_enabled=True)
    to_the_pane(page, hosted_link(sdk, live, access_token=access_token, update=update), None)
    ticked = page.get_by_role("checkbox", checked=True)
    expect(ticked).to_have_count(2)
    expect(page.get_by_role("checkbox", name=re.compile("Plaid Saving"))).to_be_checked()
    check_page(page, "select accounts, update mode")
    page.get_by_role("checkbox", name=re.compile("Plaid Saving")).uncheck()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Success")).to_be_visible()
    check_page(page, "success, update mode")
    public_token_of(page)
    accounts = sdk.accounts_get(AccountsGetRequest(access_token=access_token)).accounts
    assert names(accounts) == {"Plaid Checking"}
