"""The dashboard for a demo in real Chromium at 1280 px and 390 px: Try Link end to end, a
fault rule that fires and shows in the log, the clock moved a week and its new transactions
in the explorer. Every page is checked for sideways scroll and accessibility."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from sandbox.testing import LiveSandbox
from tests.browser.accessibility import assert_no_sideways_scroll

from .pagecheck import check_page, doc_shot
from .test_dashboard import Tenant
from .test_link_flows import hosted_link

pytestmark = pytest.mark.browser


def sign_in(page: Page, live: LiveSandbox, tenant: Tenant) -> None:
    page.goto(f"{live.url}/dashboard")
    check_page(page, "sign in")
    page.get_by_label("Client ID").fill(tenant.client_id)
    page.get_by_label("Secret").fill(tenant.secret)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name=name).click()


def width_name(page: Page) -> str:
    return "phone" if page.viewport_size and page.viewport_size["width"] < 600 else "desktop"


def test_try_link_shows_the_public_token_and_the_exchange(
    sized_page: Page, live: LiveSandbox
) -> None:
    page, tenant = sized_page, Tenant(live)
    sign_in(page, live, tenant)
    check_page(page, "overview, empty")
    tab(page, "Try Link")
    expect(page.get_by_label("Item to repair")).to_be_hidden()  # only in update mode
    page.get_by_label("App name shown in Link").fill("Demo Budget")
    page.get_by_label("Country").select_option("US")
    page.get_by_role("checkbox", name="auth").check()
    check_page(page, "try link")
    doc_shot(page, f"dashboard-try-link-{width_name(page)}")
    page.get_by_role("button", name="Open Link").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Demo Budget uses Link")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name=re.compile("Chase")).first.wait_for()
    page.get_by_role("button", name=re.compile("First Platypus Bank")).first.click()
    page.get_by_label("Username").fill("user_good")
    page.get_by_label("Password").fill("pass_good")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Success")).to_be_visible()
    page.get_by_role("link", name="Continue").click()

    expect(page.get_by_role("heading", name="Link succeeded")).to_be_visible()
    expect(page.locator("#public-token")).to_contain_text("public-sandbox-")
    check_page(page, "link result")
    page.get_by_role("button", name="Exchange the public token").click()
    expect(page).to_have_url(re.compile(r"/dashboard/try-link/result$"))
    expect(page.locator("#access-token")).to_contain_text("access-sandbox-")
    check_page(page, "exchanged")
    doc_shot(page, f"dashboard-try-link-result-{width_name(page)}")
    page.get_by_role("link", name=re.compile("^[A-Za-z0-9]{37}$")).click()
    expect(page.locator(".spark svg").first).to_be_visible()
    check_page(page, "item")
    doc_shot(page, f"dashboard-item-{width_name(page)}")


def test_fault_rule_fires_and_shows_in_the_log(sized_page: Page, live: LiveSandbox) -> None:
    page, tenant = sized_page, Tenant(live)
    hook = f"{live.url}/control/webhook-catcher/demo-{id(page)}"
    token = tenant.link_item("ins_56", webhook=hook)
    tenant.link_item("ins_127991", webhook="http://127.0.0.1:9/hook")  # deliveries fail
    sign_in(page, live, tenant)
    check_page(page, "overview")
    doc_shot(page, f"dashboard-overview-{width_name(page)}")

    tab(page, "Faults")
    page.get_by_label("Return an HTTP status").check()
    expect(page.get_by_label("Provider error code")).to_be_hidden()
    expect(page.get_by_label("HTTP status", exact=True)).to_be_visible()
    page.get_by_label("Return an error code").check()
    expect(page.get_by_label("HTTP status", exact=True)).to_be_hidden()
    expect(page.get_by_label("n", exact=True)).to_be_hidden()
    page.get_by_label("Endpoint glob").fill("/accounts/*")
    page.get_by_label("Provider error code").fill("ITEM_LOCKED")
    page.get_by_label("When", exact=True).select_option("next")
    page.get_by_label("n", exact=True).fill("1")
    check_page(page, "faults form")
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("status")).to_contain_text("added")
    assert tenant.error_code("/accounts/get", token) == "ITEM_LOCKED"
    page.reload()
    log = page.get_by_role("table", name="Injected faults, newest first")
    expect(log).to_contain_text("/accounts/get")
    expect(log).to_contain_text("ITEM_LOCKED")
    check_page(page, "faults with log")
    doc_shot(page, f"dashboard-faults-{width_name(page)}")

    tab(page, "Webhooks")
    page.get_by_role("button", name="Deliver due now").click()
    expect(page.locator(".pill-retrying").first).to_be_visible()
    expect(page.locator(".pill-held").first).to_be_visible()
    expect(page.get_by_text("nothing accepted the connection at 127.0.0.1:9").first).to_be_visible()
    check_page(page, "webhooks")
    doc_shot(page, f"dashboard-webhooks-{width_name(page)}")


def test_clock_plus_seven_days_shows_new_transactions_in_the_explorer(
    sized_page: Page, live: LiveSandbox
) -> None:
    page, tenant = sized_page, Tenant(live)
    tenant.link_item("ins_109508")
    sign_in(page, live, tenant)
    before = dt.date.fromisoformat(page.locator(".clock-now time").get_attribute("datetime")[:10])  # type: ignore[index]
    page.get_by_role("button", name="+7 days").click()
    expect(page.get_by_role("status")).to_contain_text("Advanced 7 day(s)")
    check_page(page, "overview after +7 days")

    tab(page, "Transactions")
    page.get_by_label("From").fill((before + dt.timedelta(days=1)).isoformat())
    page.get_by_label("Sort by").select_option("date")
    page.get_by_label("Order").select_option("asc")
    page.get_by_role("button", name="Apply").click()
    heading = page.locator("#results-title")
    expect(heading).to_contain_text("transaction")
    count = int(re.match(r"\d+", heading.inner_text())[0])  # type: ignore[index]
    assert count > 0, "a week on, the explorer shows that week's transactions"
    dates = page.locator('td[data-label="Date"]').all_inner_texts()
    assert dates and all(d > before.isoformat() for d in dates) and dates == sorted(dates)
    check_page(page, "explorer")
    doc_shot(page, f"dashboard-transactions-{width_name(page)}")

    page.get_by_label("Money").select_option("debit")
    page.get_by_label("Sort by").select_option("amount")
    page.get_by_label("Order").select_option("desc")
    page.get_by_role("button", name="Apply").click()
    amounts = [
        float(a.split()[0]) for a in page.locator('td[data-label="Amount"]').all_inner_texts()
    ]
    assert amounts and all(a < 0 for a in amounts) and amounts == sorted(amounts)

    tab(page, "Overview")
    page.get_by_role("link", name=re.compile("Remove")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remove")
    check_page(page, "confirm remove")
    page.get_by_role("button", name="Remove item").click()
    expect(page.get_by_role("status")).to_contain_text("Removed")


def test_the_remaining_pages_fit_and_pass_the_accessibility_check(
    sized_page: Page, live: LiveSandbox, sdk: Any
) -> None:
    page, tenant = sized_page, Tenant(live)
    tenant.link_item("ins_109508", webhook="http://127.0.0.1:9/hook")
    sign_in(page, live, tenant)
    tab(page, "Webhooks")
    page.get_by_role("button", name="Deliver due now").click()
    page.get_by_role("link", name=re.compile(r"^Webhook \d+$")).last.click()
    expect(page.get_by_role("heading", name="Attempts")).to_be_visible()
    check_page(page, "webhook detail")
    doc_shot(page, f"dashboard-webhook-{width_name(page)}")
    for path, label in (
        ("/dashboard/faults/clear", "confirm clear"),
        ("/dashboard/items/nope", "dashboard 404"),
        ("/", "home page"),
    ):
        page.goto(f"{live.url}{path}")
        check_page(page, label)

    page.goto(hosted_link(sdk, live))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name=re.compile("Platypus OAuth Bank")).first.click()
    check_page(page, "link oauth handoff")
    page.get_by_role("button", name="Continue to Platypus OAuth Bank").click()
    check_page(page, "bank sign-in")
    page.go_back()
    page.get_by_role("button", name="Exit Link").click()
    page.wait_for_url(re.compile(r"status=exited"))
    check_page(page, "back at the app after exiting Link")


def test_bank_statements_page_fits_a_phone(sized_page: Page, live: LiveSandbox) -> None:
    """The download form kept four columns at any width: 735 px wide on a 375 px phone."""
    page, tenant = sized_page, Tenant(live)
    tenant.link_item("ins_56")
    sign_in(page, live, tenant)
    page.goto(f"{live.url}/bank/ins_56/statements")
    expect(page.get_by_role("button", name="Download activity").first).to_be_visible()
    check_page(page, "statements")


def test_try_link_update_mode_fits_a_phone(sized_page: Page, live: LiveSandbox) -> None:
    """A fieldset is at least as wide as its content: the item's option ("First Platypus
    Bank · GTtshaSa… (ITEM_LOGIN_REQUIRED)") made the Mode fieldset 549 px on a 390 px phone."""
    page, tenant = sized_page, Tenant(live)
    tenant.call("/sandbox/item/reset_login", access_token=tenant.link_item("ins_109508"))
    sign_in(page, live, tenant)
    tab(page, "Try Link")
    page.get_by_label("Update mode (repair an item)").check()
    expect(page.get_by_label("Item to repair")).to_contain_text("ITEM_LOGIN_REQUIRED")
    check_page(page, "try link, update mode")


def test_flash_messages_naming_an_item_fit_a_phone(sized_page: Page, live: LiveSandbox) -> None:
    """An item id is one 37-letter word: the flash that names it ran off a 375 px phone."""
    page, tenant = sized_page, Tenant(live)
    tenant.link_item("ins_109508")
    sign_in(page, live, tenant)
    page.get_by_role("button", name=re.compile("^Reset login of ")).click()
    expect(page.get_by_role("status")).to_contain_text("now needs a new login")
    check_page(page, "overview, reset login flashed")
    page.get_by_role("link", name=re.compile("^Remove ")).click()
    page.get_by_role("button", name="Remove item").click()
    expect(page.get_by_role("status")).to_contain_text("Removed")
    check_page(page, "overview, removal flashed")


def test_every_dashboard_page_reflows_at_320_px(browser: Browser, live: LiveSandbox) -> None:
    """WCAG's reflow width, a small phone's: the item page's id (one 37-letter word) and its
    account cards (at least 320 px wide) made it 355 px wide, and the overview's TrueLayer
    hint 338 px; nothing may scroll sideways at 320 px."""
    context = browser.new_context(viewport={"width": 320, "height": 700}, bypass_csp=True)
    page, tenant = context.new_page(), Tenant(live)
    token = tenant.link_item("ins_109508", webhook="http://127.0.0.1:9/hook")
    item_id = tenant.call("/item/get", access_token=token)["item"]["item_id"]
    tenant.call("/control/faults", endpoint="/transactions/*", error_code="ITEM_LOCKED")
    sign_in(page, live, tenant)
    for path in ("", f"/items/{item_id}", "/transactions", "/try-link", "/faults"):
        page.goto(f"{live.url}/dashboard{path}")
        assert_no_sideways_scroll(page, f"/dashboard{path} at 320 px")
    # Each page is measured once it has loaded, its style sheet applied: a click returns
    # before the navigation does, and an unstyled page is wider than the phone.
    tab(page, "Webhooks")
    page.wait_for_url(re.compile(r"/dashboard/webhooks$"), wait_until="load")
    assert_no_sideways_scroll(page, "webhooks at 320 px")
    page.get_by_role("link", name=re.compile(r"^Webhook \d+$")).last.click()
    page.wait_for_url(re.compile(r"/dashboard/webhooks/\d+$"), wait_until="load")
    assert_no_sideways_scroll(page, "webhook detail at 320 px")
    context.close()
