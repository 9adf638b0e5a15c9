"""The dashboard's demo pages through the test client: the transactions explorer, Try Link,
webhook states, the faults form's field errors, confirmations and the favicon."""

from __future__ import annotations

import re

import pytest

from sandbox.core import tenants
from sandbox.core.models import Tenant, WebhookEvent
from sandbox.extensions import db
from tests.api.web.test_dashboard import HOOK, Dashboard, linked_item
from tests.api.web.test_link_pages import LinkBrowser, to_credentials
from tests.conftest import PlaidClient

GOOD = {"username": "user_good", "password": "pass_good"}


@pytest.fixture
def dash(plaid: PlaidClient, tenant_keys: tenants.Keys) -> Dashboard:
    return Dashboard(plaid.client, tenant_keys)


def rows_of(page: str) -> list[str]:
    return re.findall(r'<td data-label="Date" class="small nowrap">([^<]+)</td>', page)


def test_explorer_page_filters_sorts_and_pages_like_the_control_api(
    dash: Dashboard, plaid: PlaidClient
) -> None:
    linked_item(plaid)
    page = dash.get("/dashboard/transactions?limit=25").text
    total = int(re.search(r'id="results-title">(\d+) transactions', page)[1])  # type: ignore[index]
    assert len(rows_of(page)) == 25 and total > 25
    assert "Food and drink ·" in page  # categories in words, not FOOD_AND_DRINK_…
    assert '<option value="FOOD_AND_DRINK">Food and drink</option>' in page
    following = re.search(r'rel="next" href="([^"]+)"', page)[1].replace("&amp;", "&")  # type: ignore[index]
    second = dash.get(following).text
    assert rows_of(second) and rows_of(second)[0] <= rows_of(page)[-1]
    assert "First page" in second
    credits = dash.get("/dashboard/transactions?direction=credit&limit=100").text
    assert 'class="num nowrap credit"' in credits and 'num nowrap "' not in credits


def test_explorer_totals_name_their_currency_first(dash: Dashboard, plaid: PlaidClient) -> None:
    """With two currencies the heading read "· out 16,324.61 · in 19,115.59 GBP · out …
    USD": the code came after the second figure, so the first seemed to be another total."""
    linked_item(plaid)
    linked_item(plaid, institution_id="ins_118923")  # Monzo: GBP
    page = dash.get("/dashboard/transactions").text
    for currency in ("GBP", "USD"):
        assert re.search(rf"· {currency}: out [\d,]+\.\d\d, in [\d,]+\.\d\d</span>", page), currency


def test_explorer_page_bad_filter_is_a_400_naming_the_field(dash: Dashboard) -> None:
    reply = dash.get("/dashboard/transactions?start_date=2026-03-01&end_date=2026-02-01")
    assert reply.status_code == 400
    assert "<strong>end_date</strong>" in reply.text
    assert (
        'id="x-end_date" name="end_date" type="date" value="2026-02-01"  aria-invalid="true"'
        in (reply.text)
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [("start_date=2026-13-45", "start_date"), ("min_amount=50&max_amount=10", "max_amount")],
)
def test_explorer_page_names_a_bad_filter_once(dash: Dashboard, query: str, field: str) -> None:
    """The flash read ``start_date: start_date: Not a valid date.``."""
    flash = re.search(
        r'id="explore-error">(.*?)</p>', dash.get(f"/dashboard/transactions?{query}").text
    )
    assert flash and flash[1].startswith(f"<strong>{field}</strong>: ")
    assert f"</strong>: {field}: " not in flash[1], flash[1]


def test_item_page_pages_its_transactions(dash: Dashboard, plaid: PlaidClient) -> None:
    item_id = linked_item(plaid)
    page = dash.get(f"/dashboard/items/{item_id}").text
    assert len(rows_of(page)) == 25
    older = re.search(r'rel="next" href="([^"]+)"', page)[1].replace("&amp;", "&")  # type: ignore[index]
    second = dash.get(older).text
    assert rows_of(second)[0] <= rows_of(page)[-1] and "Newest" in second
    assert dash.get(f"/dashboard/items/{item_id}?cursor=junk").status_code == 303


def test_try_link_opens_link_and_exchanges_the_public_token(
    dash: Dashboard, plaid: PlaidClient
) -> None:
    opened = dash.post(
        "/dashboard/try-link",
        client_name="Demo app",
        country="US",
        mode="new",
        products=["transactions", "auth"],
    )
    assert opened.status_code == 303 and "/link?token=link-sandbox-" in opened.headers["Location"]
    token = opened.headers["Location"].split("token=")[1]
    link = LinkBrowser(plaid, token)
    to_credentials(link)
    done = link.post("credentials", username="user_good", password="pass_good")
    back = link.continue_from(done)
    assert "/dashboard/try-link/done?" in back
    result = dash.get(back).text
    public = re.search(r'id="public-token">([^<]+)<', result)[1]  # type: ignore[index]
    exchanged = dash.post("/dashboard/try-link/exchange", public_token=public)
    assert exchanged.status_code == 303
    assert re.search(r'id="access-token">access-sandbox-', dash.get(exchanged.location).text)
    unknown = dash.post("/dashboard/try-link/exchange", public_token="public-sandbox-unknown")
    assert unknown.status_code == 400 and "could not find matching public token" in unknown.text


def test_try_link_exchange_result_has_its_own_page_for_reload_and_back(
    dash: Dashboard, plaid: PlaidClient, tenant_keys: tenants.Keys
) -> None:
    """The result was the reply to the POST: a reload asked to resend it, a GET of its URL
    was a 405, and Back then Exchange again said the public token was unknown. Now the POST
    redirects to the result's own page, kept with the signed-in tenant."""
    public = plaid.ok(
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["transactions"],
    )["public_token"]
    exchanged = dash.post("/dashboard/try-link/exchange", public_token=public)
    assert exchanged.status_code == 303 and exchanged.location == "/dashboard/try-link/result"
    page = dash.get("/dashboard/try-link/result").text
    token = re.search(r'id="access-token">([^<]+)<', page)
    assert token and plaid.ok("/item/get", access_token=token[1])["item"]["item_id"] in page
    assert dash.get("/dashboard/try-link/result").text == page  # a reload
    again = dash.post("/dashboard/try-link/exchange", public_token=public)  # Back, Exchange
    assert again.status_code == 303 and again.location == exchanged.location
    dash.post("/dashboard/logout")
    assert dash.get("/dashboard/try-link/result").status_code == 303  # to the sign-in page
    signed_in_again = Dashboard(plaid.client, tenant_keys)
    spent = signed_in_again.post("/dashboard/try-link/exchange", public_token=public)
    assert spent.status_code == 400 and "could not find matching public token" in spent.text
    signed_in_again = Dashboard(plaid.client, tenant_keys)
    forgotten = signed_in_again.get("/dashboard/try-link/result")
    assert forgotten.status_code == 303 and forgotten.location == "/dashboard/try-link"


def test_try_link_needs_a_product_and_update_mode_an_item(dash: Dashboard) -> None:
    reply = dash.post("/dashboard/try-link", country="US", mode="new")
    assert reply.status_code == 400 and "<strong>products</strong>" in reply.text
    reply = dash.post("/dashboard/try-link", country="US", mode="update", item_id="nope")
    assert reply.status_code == 400 and "<strong>item_id</strong>" in reply.text


def test_webhook_states_say_retrying_held_and_failed(
    dash: Dashboard, plaid: PlaidClient, tenant_keys: tenants.Keys
) -> None:
    linked_item(plaid, webhook=HOOK)
    dash.post("/dashboard/webhooks/deliver")
    listing = dash.get("/dashboard/webhooks").text
    assert ">retrying</span>" in listing and ">held</span>" in listing
    tenant = db.session.query(Tenant).filter_by(client_id=tenant_keys.client_id).one()
    first = db.session.query(WebhookEvent).filter_by(tenant_id=tenant.id).order_by("id").first()
    assert first is not None
    first.status = "failed"
    db.session.commit()
    listing = dash.get("/dashboard/webhooks").text
    assert ">failed</span>" in listing and ">queued</span>" in listing
    assert "ConnectionRefusedError" not in listing  # the raw text stays on the event page


@pytest.mark.parametrize(
    ("form", "label", "field"),
    [
        ({"action": "http_status"}, "HTTP status", "http_status"),
        ({"action": "latency_only"}, "Added latency (ms)", "latency_ms"),
        ({"action": "error_code"}, "Provider error code", "error_code"),
        ({"action": "drop", "trigger": "nth"}, "n", "n"),
    ],
)
def test_faults_form_names_the_field_the_chosen_action_needs(
    dash: Dashboard, form: dict[str, str], label: str, field: str
) -> None:
    reply = dash.post("/dashboard/faults", **form)
    assert reply.status_code == 400
    assert f"<strong>{label}</strong>" in reply.text
    assert re.search(rf'id="f-{field}" name="{field}"[^>]*aria-invalid="true"', reply.text)


def test_faults_form_marks_fields_by_the_action_that_needs_them(dash: Dashboard) -> None:
    page = dash.get("/dashboard/faults").text
    assert 'data-when="http_status"' in page and 'data-when="nth next"' in page


def test_remove_and_clear_ask_first(dash: Dashboard, plaid: PlaidClient) -> None:
    item_id = linked_item(plaid)
    overview = dash.get("/dashboard").text
    assert f'href="/dashboard/items/{item_id}/remove"' in overview
    confirm = dash.get(f"/dashboard/items/{item_id}/remove").text
    assert 'name="confirm" value="yes"' in confirm and "Cancel" in confirm
    assert "Clear every fault rule?" in dash.get("/dashboard/faults/clear").text


def test_pages_have_a_favicon(dash: Dashboard, plaid: PlaidClient) -> None:
    page = dash.get("/dashboard").text
    assert 'rel="icon" href="/static/web/favicon.svg"' in page
    with plaid.client.get("/static/web/favicon.svg") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert icon.get_data().startswith(b"<svg")


def test_try_link_update_mode_repairs_the_chosen_item(dash: Dashboard, plaid: PlaidClient) -> None:
    token = plaid.link_item()
    item_id = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    plaid.ok("/sandbox/item/reset_login", access_token=token)
    page = dash.get("/dashboard/try-link").text
    assert f'value="{item_id}"' in page and "ITEM_LOGIN_REQUIRED" in page
    opened = dash.post("/dashboard/try-link", country="US", mode="update", item_id=item_id)
    link = LinkBrowser(plaid, opened.headers["Location"].split("token=")[1])
    link.post("consent")  # update mode: straight to the item's bank
    done = link.post("credentials", username="user_good", password="pass_good")
    assert "/dashboard/try-link/done?" in link.continue_from(done)
    assert plaid.ok("/item/get", access_token=token)["item"]["error"] is None


def test_try_link_update_mode_offers_no_exchange(dash: Dashboard, plaid: PlaidClient) -> None:
    """The page said there was nothing to exchange in update mode, and offered the exchange."""
    item_id = plaid.ok("/item/get", access_token=plaid.link_item())["item"]["item_id"]
    opened = dash.post("/dashboard/try-link", country="US", mode="update", item_id=item_id)
    link = LinkBrowser(plaid, opened.headers["Location"].split("token=")[1])
    link.post("consent")
    done = dash.get(link.continue_from(link.post("credentials", **GOOD))).text
    assert "Item updated" in done and f"/dashboard/items/{item_id}" in done
    assert "nothing to exchange: the item keeps its access token" in done
    assert "try-link/exchange" not in done and "Exchange the public token" not in done


def test_try_link_new_item_offers_the_exchange_without_update_words(
    dash: Dashboard, plaid: PlaidClient
) -> None:
    opened = dash.post("/dashboard/try-link", country="US", mode="new", products=["auth"])
    link = LinkBrowser(plaid, opened.headers["Location"].split("token=")[1])
    to_credentials(link)
    done = dash.get(link.continue_from(link.post("credentials", **GOOD))).text
    assert "Link succeeded" in done and "Exchange the public token" in done
    assert "update mode" not in done
