"""The dashboard in real Chromium: sign in, move the clock, watch an item, add a fault rule."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from sandbox.core import institutions
from sandbox.core.bank import check_login
from sandbox.core.models import Tenant as TenantRow
from sandbox.extensions import db, tenant_bank
from sandbox.testing import ItemLinker, LiveSandbox

from .pagecheck import check_page

pytestmark = pytest.mark.browser


class Tenant(ItemLinker):
    """A fresh tenant of the live sandbox (so moving its clock touches no other test)."""

    def __init__(self, live: LiveSandbox) -> None:
        self.url = live.url
        reply = requests.post(f"{live.url}/control/tenants", json={"name": "demo"}, timeout=10)
        reply.raise_for_status()
        keys = reply.json()
        self.client_id, self.secret = keys["client_id"], keys["secret"]

    def call(self, path: str, **body: Any) -> dict[str, Any]:
        headers = {"PLAID-CLIENT-ID": self.client_id, "PLAID-SECRET": self.secret}
        reply = requests.post(f"{self.url}{path}", json=body, headers=headers, timeout=10)
        assert reply.ok, reply.text
        data: dict[str, Any] = reply.json()
        return data

    def error_code(self, path: str, access_token: str) -> str | None:
        """The Plaid ``error_code`` a call on ``access_token`` fails with (None: it worked)."""
        headers = {"PLAID-CLIENT-ID": self.client_id, "PLAID-SECRET": self.secret}
        body = {"access_token": access_token}
        reply = requests.post(f"{self.url}{path}", json=body, headers=headers, timeout=10)
        code: str | None = reply.json().get("error_code")
        return code


def sign_in(page: Page, live: LiveSandbox, tenant: Tenant, shot: Any = None) -> None:
    """Sign in to the dashboard as ``tenant``; the overview shows."""
    page.goto(f"{live.url}/dashboard")
    expect(page.get_by_role("heading", name="Sign in to the dashboard")).to_be_visible()
    page.get_by_label("Client ID").fill(tenant.client_id)
    page.get_by_label("Secret").fill(tenant.secret)
    if shot is not None:
        shot("login")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_dashboard_clock_item_and_fault_rule(page: Page, live: LiveSandbox, shot: Any) -> None:
    tenant = Tenant(live)
    catcher = f"{live.url}/control/webhook-catcher/dashboard"
    chase = tenant.link_item("ins_56", webhook=catcher)
    tenant.link_item("ins_109508", webhook=catcher)
    tenant.call(
        "/sandbox/item/reset_login", access_token=tenant.link_item("ins_118923", webhook=catcher)
    )

    sign_in(page, live, tenant, shot)
    before = page.locator(".clock-now").inner_text()
    page.get_by_role("button", name="+7 days").click()
    expect(page.get_by_role("status")).to_contain_text("Advanced 7 day(s)")
    assert page.locator(".clock-now").inner_text() != before
    shot("overview")

    page.get_by_role("link", name="Webhooks").click()
    page.get_by_role("button", name="Deliver due now").click()
    expect(page.locator(".pill-delivered").first).to_be_visible()
    shot("webhooks")

    page.get_by_role("link", name="Overview").click()
    page.locator("table.data a[href*='/dashboard/items/']").first.click()
    expect(page.locator(".spark svg").first).to_be_visible()
    shot("item")

    page.get_by_role("link", name="Faults").click()
    page.get_by_label("Endpoint glob").fill("/transactions/*")
    page.get_by_label("Provider error code").fill("INSTITUTION_NOT_RESPONDING")
    page.get_by_label("When", exact=True).select_option("next")
    page.get_by_label("n", exact=True).fill("2")
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("status")).to_contain_text("added")
    rules = page.get_by_role("table", name="Fault rules in evaluation order")
    expect(rules).to_contain_text("INSTITUTION_NOT_RESPONDING")
    expect(rules).to_contain_text("next n=2")
    assert tenant.error_code("/transactions/sync", chase) == "INSTITUTION_NOT_RESPONDING"
    page.reload()
    log = page.get_by_role("table", name="Injected faults, newest first")
    expect(log).to_contain_text("/transactions/sync")
    shot("faults")


def test_a_webhook_the_rejection_rule_stopped_looks_failed_and_says_why(
    page: Page, live: LiveSandbox
) -> None:
    """Ten items' webhooks refused at a closed port: past the tenth rejection the log shows
    ``endpoint_failing``, red like ``failed``, with Plaid's rule as its reason."""
    tenant = Tenant(live)
    for _ in range(10):
        tenant.link_item("ins_109508", webhook="http://127.0.0.1:9/closed")
    sign_in(page, live, tenant)
    page.get_by_role("link", name="Webhooks").click()
    stopped = page.locator("tbody .pill-endpoint_failing").first
    for _ in range(40):  # the live dispatcher thread may hold some attempts in hand
        page.get_by_role("button", name="Deliver due now").click()
        if stopped.count():
            break
        page.wait_for_timeout(250)
    expect(stopped).to_be_visible()
    expect(stopped).to_have_attribute("title", re.compile("rejected over 90% of the webhooks"))

    def background(locator: Locator) -> str:
        color: str = locator.evaluate("pill => getComputedStyle(pill).backgroundColor")
        return color

    failed, queued = page.locator("dt .pill-failed"), page.locator("dt .pill-queued")
    assert background(stopped) == background(failed) != background(queued)
    stopped.locator("xpath=ancestor::tr").get_by_role("link").first.click()
    expect(page.get_by_role("button", name="Redeliver")).to_be_visible()


def test_a_truelayer_connection_is_listed_by_its_apps_display_name(
    sized_page: Page, live: LiveSandbox
) -> None:
    """The Client cell names the app as the auth dialog does, its client id beneath, at a
    laptop's and a phone's width (no sideways scroll, no serious accessibility violation)."""
    page, tenant = sized_page, Tenant(live)
    name = "Budget <Buddy> & the household's shared finances"
    with live.app.app_context():
        bank = tenant_bank(db.session.query(TenantRow).filter_by(client_id=tenant.client_id).one())
        client = bank.grants.update_client(tenant.client_id, display_name=name)
        code = bank.grants.connect(
            client,
            institutions.get("ins_200001"),  # TrueLayer's provider "mock"
            check_login("john", "doe"),
            ["accounts"],
            redirect_uri=client.redirect_uris[0],
        )
        assert code
        db.session.commit()
    sign_in(page, live, tenant)
    cell = page.get_by_role("table", name="TrueLayer connections of this tenant").locator(
        "td[data-label='Client']"
    )
    expect(cell).to_contain_text(name)
    expect(cell.locator("code").first).to_have_text(tenant.client_id)
    check_page(page, "overview with a named TrueLayer app")


def test_a_phone_card_keeps_every_value_beside_its_label(browser: Any, live: LiveSandbox) -> None:
    """At 390 px each table row is a card of label/value lines; a cell of several tags (an
    item's products) put the second and later tags in the label's column, under it."""
    tenant = Tenant(live)
    tenant.link_item("ins_109508", ("transactions", "auth", "identity", "liabilities"))
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, live, tenant)
    page.wait_for_load_state("load")  # the stylesheet applied before anything is measured
    cell = page.get_by_role("table", name="Live items of this tenant").locator(
        "td[data-label='Products']"
    )
    card = cell.bounding_box()
    lefts = [box["x"] for box in (tag.bounding_box() for tag in cell.locator(".tag").all()) if box]
    assert card and len(lefts) == 4
    label_column = card["x"] + 7.5 * 16  # the labels' 7.5rem
    assert min(lefts) >= label_column, f"a tag sits under the label: {lefts}, {card}"
    context.close()


def test_an_institution_health_change_is_said_where_the_page_lands(
    sized_page: Page, live: LiveSandbox
) -> None:
    """Set returns to ``#health``, below the fold: its message was at the page's top, out of
    sight, so a change (or a refusal) looked like nothing."""
    page = sized_page
    sign_in(page, live, Tenant(live))
    page.get_by_role("link", name="Faults").click()
    status = page.get_by_label("Status of Chase")
    status.select_option("DOWN")
    status.locator("xpath=..").get_by_role("button", name="Set").click()
    said = page.get_by_text("ins_56 is now DOWN.")
    expect(said).to_be_in_viewport()
    check_page(page, "faults after a health change")


def test_the_clock_is_set_to_a_date_and_time_from_its_card(
    sized_page: Page, live: LiveSandbox
) -> None:
    """The API and CLI could set the clock; the dashboard only advanced it by whole days."""
    page = sized_page
    sign_in(page, live, Tenant(live))
    page.get_by_label("Set to (UTC)").fill("2031-05-01T08:30")
    page.get_by_label("Running").check()
    page.get_by_role("button", name="Set clock").click()
    expect(page.get_by_role("status")).to_contain_text("Clock set to 2031-05-01 08:30 UTC, running")
    expect(page.locator(".clock-now")).to_contain_text("2031-05-01 08:3")
    expect(page.get_by_label("Running")).to_be_checked()
    check_page(page, "overview after setting the clock")


def test_skip_to_content_passes_the_tabs(page: Page, live: LiveSandbox) -> None:
    """It landed on ``<main>``, whose first stop is the tab bar."""
    sign_in(page, live, Tenant(live))
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#content")).to_be_focused()
    page.keyboard.press("Tab")
    past_the_bar = "document.activeElement.closest('.dash-head, .topbar') === null"
    assert page.evaluate(past_the_bar), "the next stop is still in the tabs or the top bar"
