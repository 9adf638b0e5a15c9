"""The dashboard through the Flask test client: sign-in, pages with real data, every action."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from sandbox.core import tenants
from sandbox.core.faults import rules as fault_rules
from sandbox.core.models import Item, Tenant, WebhookEvent
from sandbox.core.webhooks import outbox as webhooks
from sandbox.core.webhooks.dispatch import Dispatcher, Outcome
from sandbox.extensions import db
from sandbox.web.dashboard import overview
from sandbox.web.dashboard import webhooks as dashboard_webhooks
from tests.conftest import PlaidClient, unexpected_error

HOOK = "http://127.0.0.1:9/hook"  # nothing listens: deliveries fail fast


def token_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found[1]


class Dashboard:
    """A signed-in browser: cookies plus the session's CSRF token."""

    def __init__(self, client: FlaskClient, keys: tenants.Keys) -> None:
        self.client = client
        login = client.get("/dashboard/login").text
        form = {"csrf_token": token_of(login), "client_id": keys.client_id, "secret": keys.secret}
        reply = client.post("/dashboard/login", data=form)
        assert reply.status_code == 303 and reply.headers["Location"].endswith("/dashboard")
        self.csrf = token_of(client.get("/dashboard").text)

    def get(self, path: str) -> Any:
        return self.client.get(path)

    def post(self, path: str, **form: Any) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf, **form})


@pytest.fixture
def dash(plaid: PlaidClient, tenant_keys: tenants.Keys) -> Dashboard:
    return Dashboard(plaid.client, tenant_keys)


def linked_item(plaid: PlaidClient, **options: Any) -> str:
    token = plaid.link_item(**options)
    item_id: str = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    return item_id


def tenant(keys: tenants.Keys) -> Tenant:
    found = db.session.query(Tenant).filter_by(client_id=keys.client_id).one()
    db.session.refresh(found)
    return found


def test_pages_require_sign_in(app: Flask) -> None:
    client = app.test_client()
    for path in ("/dashboard", "/dashboard/webhooks", "/dashboard/faults", "/dashboard/items/x"):
        reply = client.get(path)
        assert reply.status_code == 303
        assert reply.headers["Location"].startswith("/dashboard/login?next=")


def test_wrong_keys_show_an_error_and_sign_nobody_in(plaid: PlaidClient) -> None:
    login = plaid.client.get("/dashboard/login").text
    reply = plaid.client.post(
        "/dashboard/login",
        data={"csrf_token": token_of(login), "client_id": plaid.client_id, "secret": "wrong"},
    )
    assert reply.status_code == 401
    assert 'role="alert"' in reply.text and "do not match a tenant" in reply.text
    assert plaid.client.get("/dashboard").status_code == 303


def test_forms_require_the_csrf_token(dash: Dashboard) -> None:
    reply = dash.client.post("/dashboard/clock", data={"change": "advance", "days": "1"})
    assert reply.status_code == 400
    login = dash.client.post("/dashboard/login", data={"client_id": "x", "secret": "y"})
    assert login.status_code == 400


def test_a_non_ascii_csrf_token_is_refused(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    """Compared as bytes: ``compare_digest`` raises on a str holding non-ASCII."""
    client = app.test_client()
    client.get("/dashboard/login")  # the session has a token
    login = client.post("/dashboard/login", data={"csrf_token": "\u00e9", "client_id": "x"})
    assert login.status_code == 400 and "This form has expired" in login.text
    assert "unhandled error" not in caplog.text  # refused, not a traceback in the log


def test_an_unexpected_error_is_a_500_page_logged_once(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Not the 400 of a bad form: the page said 400 for any exception in a POST."""
    monkeypatch.setattr(overview, "authenticate", unexpected_error)
    client = app.test_client()
    form = {"csrf_token": token_of(client.get("/dashboard/login").text), "client_id": "x"}
    reply = client.post("/dashboard/login", data=form)
    assert reply.status_code == 500 and reply.mimetype == "text/html"
    assert [r.getMessage() for r in caplog.records] == ["unhandled error"]


def test_sign_out_ends_the_session(dash: Dashboard) -> None:
    assert dash.post("/dashboard/logout").status_code == 303
    assert dash.get("/dashboard").status_code == 303


def test_sign_out_ends_the_session_server_side_for_every_browser_of_the_tenant(
    app: Flask, plaid: PlaidClient, tenant_keys: tenants.Keys
) -> None:
    """The session is a signed cookie: a copy taken before sign-out kept working."""
    dash = Dashboard(plaid.client, tenant_keys)
    other = Dashboard(app.test_client(), tenant_keys)  # another browser of the tenant
    cookie = plaid.client.get_cookie("session")
    assert cookie is not None
    dash.post("/dashboard/logout")
    replay = app.test_client()
    replay.set_cookie("session", cookie.value)
    assert replay.get("/dashboard").status_code == 303
    assert other.get("/dashboard").status_code == 303
    again = Dashboard(app.test_client(), tenant_keys)  # signing in again works
    assert again.get("/dashboard").status_code == 200


def test_a_tenant_name_stored_with_control_characters_shows_them_escaped(
    dash: Dashboard, tenant_keys: tenants.Keys
) -> None:
    """Names stored before control characters were refused: the header showed them raw."""
    tenant(tenant_keys).name = "old\x1b]0;owned\x07name"
    db.session.commit()
    page = dash.get("/dashboard").text
    assert '<span class="tenant" title="client_id' in page
    assert "old\\x1b]0;owned\\x07name · " in page and "\x1b" not in page


def test_overview_lists_items_with_bank_and_clock(dash: Dashboard, plaid: PlaidClient) -> None:
    item_id = linked_item(plaid)
    page = dash.get("/dashboard").text
    assert "2026-03-16 15:30:00 UTC" in page and "Frozen" in page
    assert f"/dashboard/items/{item_id}" in page
    assert "First Platypus Bank" in page and "user_good" in page and "healthy" in page


def test_advancing_the_clock_moves_tenant_time_and_items(
    dash: Dashboard, plaid: PlaidClient, tenant_keys: tenants.Keys
) -> None:
    linked_item(plaid)
    reply = dash.post("/dashboard/clock", change="advance", days="7")
    assert reply.status_code == 303
    assert tenants.clock_of(tenant(tenant_keys)).now().isoformat() == "2026-03-23T15:30:00+00:00"
    page = dash.get("/dashboard").text
    assert "Advanced 7 day(s) to 2026-03-23; 1 item(s) changed." in page


@pytest.mark.parametrize("change", ["", "unfreeze"])
def test_a_double_clicked_advance_moves_the_clock_once(
    dash: Dashboard, tenant_keys: tenants.Keys, change: str
) -> None:
    """Both clicks' requests carry the clock the page showed; the second one used to move
    the clock again (+7 days clicked twice was +14), on a frozen or a running clock."""
    if change:
        dash.post("/dashboard/clock", change=change)
    seen = re.search(r'name="seen" value="([^"]+)"', dash.get("/dashboard").text)
    assert seen, "the advance form carries no clock"
    first = tenants.clock_of(tenant(tenant_keys)).now()
    for _click in range(2):
        reply = dash.post("/dashboard/clock", change="advance", days="7", seen=seen[1])
        assert reply.status_code == 303
    moved = tenants.clock_of(tenant(tenant_keys)).now() - first
    assert dt.timedelta(days=7) <= moved < dt.timedelta(days=7, minutes=1)
    assert "clock: the clock had moved since the page showed it" in dash.get("/dashboard").text


def test_a_clock_the_page_did_not_show_is_a_flash_naming_seen(dash: Dashboard) -> None:
    dash.post("/dashboard/clock", change="advance", days="1", seen="running 10**99")
    assert "seen: is not a clock this page showed" in dash.get("/dashboard").text


def test_unfreeze_then_freeze_the_clock(dash: Dashboard, tenant_keys: tenants.Keys) -> None:
    """The flash says "unfrozen" and "frozen" (it said "unfreezed" and "freezed")."""
    dash.post("/dashboard/clock", change="unfreeze")
    assert tenant(tenant_keys).clock_frozen_at is None
    assert "Clock unfrozen at 2026-03-16 " in dash.get("/dashboard").text
    dash.post("/dashboard/clock", change="freeze")
    assert tenant(tenant_keys).clock_frozen_at is not None
    assert "Clock frozen at 2026-03-16 " in dash.get("/dashboard").text


def test_bad_day_count_is_a_400_page_naming_days_not_a_500(dash: Dashboard) -> None:
    reply = dash.post("/dashboard/clock", change="advance", days="-3")
    assert reply.status_code == 400
    assert "days: must be a whole number" in reply.text


def test_item_page_shows_balances_sparklines_transactions_and_webhooks(
    dash: Dashboard, plaid: PlaidClient
) -> None:
    item_id = linked_item(plaid, webhook=HOOK)
    page = dash.get(f"/dashboard/items/{item_id}").text
    assert "Plaid Checking" in page and "<polyline points=" in page
    assert "End-of-day balance over 90 days" in page
    assert 'id="tx-title">Transactions' in page and 'class="pending"' in page
    assert "INITIAL_UPDATE" in page or "SYNC_UPDATES_AVAILABLE" in page


def test_another_tenants_item_is_not_found(app: Flask, dash: Dashboard, plaid: PlaidClient) -> None:
    _other, keys = tenants.create(db.session, "other", 8)
    db.session.commit()
    other = PlaidClient(app.test_client(), keys.client_id, keys.secret)
    foreign = linked_item(other)
    assert dash.get(f"/dashboard/items/{foreign}").status_code == 404
    assert dash.post(f"/dashboard/items/{foreign}/reset_login").status_code == 404


def test_reset_login_puts_the_item_in_error_and_remove_hides_it(
    dash: Dashboard, plaid: PlaidClient
) -> None:
    item_id = linked_item(plaid)
    dash.post(f"/dashboard/items/{item_id}/reset_login")
    mine = select(Item).join(Tenant).where(Tenant.client_id == plaid.client_id)
    item = db.session.scalars(mine.where(Item.id == item_id)).one()
    assert item.error_code == "ITEM_LOGIN_REQUIRED"
    unconfirmed = dash.post(f"/dashboard/items/{item_id}/remove")
    assert unconfirmed.headers["Location"].endswith(f"/dashboard/items/{item_id}/remove")
    db.session.refresh(item)
    assert item.removed_at is None
    assert "cannot be undone" in dash.get(f"/dashboard/items/{item_id}/remove").text
    dash.post(f"/dashboard/items/{item_id}/remove", confirm="yes")
    db.session.refresh(item)
    assert item.removed_at is not None
    assert dash.get(f"/dashboard/items/{item_id}").status_code == 404


def test_reset_login_on_the_overview_stays_on_the_overview(
    dash: Dashboard, plaid: PlaidClient
) -> None:
    """The overview's Reset login went to the item's page, so resetting a few items meant
    going back each time; the item page's own button still comes back to the item."""
    item_id = linked_item(plaid)
    action = f"/dashboard/items/{item_id}/reset_login"
    form = re.search(
        rf'<form method="post" action="{action}" class="inline">(.*?)</form>',
        dash.get("/dashboard").text,
        re.S,
    )
    assert form, "no Reset login form on the overview"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form[1]))
    reply = dash.client.post(action, data=fields)
    assert reply.status_code == 303 and reply.headers["Location"] == "/dashboard"
    assert "now needs a new login" in dash.get("/dashboard").text
    assert dash.post(action).headers["Location"] == f"/dashboard/items/{item_id}"


def _first_event(keys: tenants.Keys) -> WebhookEvent:
    return webhooks.events(db.session, tenant(keys))[-1]


def test_webhook_log_detail_deliver_and_redeliver(
    dash: Dashboard, plaid: PlaidClient, tenant_keys: tenants.Keys
) -> None:
    linked_item(plaid, webhook=HOOK)
    dash.post("/dashboard/webhooks/deliver")
    event = _first_event(tenant_keys)
    assert event.attempts == 1 and event.attempt_log[0].error
    listing = dash.get("/dashboard/webhooks").text
    assert event.webhook_code in listing and ">retrying</span>" in listing
    assert "nothing accepted the connection at 127.0.0.1:9" in listing
    detail = dash.get(f"/dashboard/webhooks/{event.id}").text
    assert escape(event.body) in detail and "nothing accepted the connection" in detail
    assert "<summary>Technical details</summary>" in detail
    assert escape(event.attempt_log[0].error) in detail
    dash.post(f"/dashboard/webhooks/{event.id}/redeliver")
    db.session.refresh(event)
    assert event.attempts == 1 and event.status == "pending"  # the attempt made is kept
    page = dash.get(f"/dashboard/webhooks/{event.id}").text
    assert "<dt>Attempts</dt><dd>1</dd>" in page and ">queued</span>" in page


def test_a_redelivered_delivered_webhook_shows_queued_then_both_attempts(
    dash: Dashboard, plaid: PlaidClient, tenant_keys: tenants.Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It showed "queued … Attempts 0" beside "Delivered", then Attempts 1 over 2 rows."""
    linked_item(plaid, webhook=HOOK)
    monkeypatch.setattr(Dispatcher, "send", lambda *_: Outcome(204, 3, "", None))
    dash.post("/dashboard/webhooks/deliver")
    event = _first_event(tenant_keys)
    dash.post(f"/dashboard/webhooks/{event.id}/redeliver")
    page = dash.get(f"/dashboard/webhooks/{event.id}").text
    assert ">queued</span>" in page and "<dt>Next attempt</dt>" in page
    assert "<dt>Delivered</dt>" not in page and "<dt>Attempts</dt><dd>1</dd>" in page
    dash.post("/dashboard/webhooks/deliver")
    page = dash.get(f"/dashboard/webhooks/{event.id}").text
    assert "<dt>Attempts</dt><dd>2</dd>" in page and "<dt>Delivered</dt>" in page
    db.session.refresh(event)
    assert (event.attempts, len(event.attempt_log)) == (2, 2)


def test_pause_and_resume_deliveries(dash: Dashboard, tenant_keys: tenants.Keys) -> None:
    dash.post("/dashboard/webhooks/pause")
    assert webhooks.is_paused(db.session, tenant(tenant_keys))
    assert "paused" in dash.get("/dashboard/webhooks").text
    dash.post("/dashboard/webhooks/resume")
    assert not webhooks.is_paused(db.session, tenant(tenant_keys))


def test_an_unknown_status_filter_is_said_beside_the_filter(
    dash: Dashboard, plaid: PlaidClient, tenant_keys: tenants.Keys
) -> None:
    """It was the site-wide 400 page, without the log or the form to pick another status."""
    linked_item(plaid, webhook=HOOK)
    reply = dash.get("/dashboard/webhooks?status=x")
    assert reply.status_code == 400
    alert = re.search(r'role="alert" id="status-error">(.*?)</p>', reply.text)
    assert alert and alert[1] == (
        "<strong>status</strong>: must be one of pending, delivered, failed, endpoint_failing, "
        "cancelled"
    )
    assert '<select id="status" name="status" aria-invalid="true"' in reply.text
    assert _first_event(tenant_keys).webhook_code in reply.text  # the log, unfiltered


def test_a_log_cut_at_its_limit_says_so(
    dash: Dashboard, plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log shows the newest ``LOG_LIMIT`` webhooks; past that, older ones were left out
    without a word, so a developer looking for one found nothing."""
    monkeypatch.setattr(dashboard_webhooks, "LOG_LIMIT", 1)
    linked_item(plaid, webhook=HOOK)
    linked_item(plaid, webhook=HOOK)
    page = dash.get("/dashboard/webhooks").text
    assert page.count('aria-label="Webhook ') == 1
    assert "Only the newest 1 are shown" in page
    monkeypatch.setattr(dashboard_webhooks, "LOG_LIMIT", 100)
    assert "Only the newest" not in dash.get("/dashboard/webhooks").text


def test_the_pending_filter_says_which_states_it_holds(dash: Dashboard) -> None:
    """The log's pills say queued, held, paused or retrying; the filter's ``pending`` (the
    control API's status) did not say it meant those, and ``?status=queued`` is refused."""
    page = dash.get("/dashboard/webhooks").text
    assert '<option value="pending">pending (queued, held, paused, retrying)</option>' in page


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/dashboard/webhooks/999999"),
        ("GET", "/dashboard/webhooks/abc"),  # was 405: the pause/resume route took any word
        ("GET", "/dashboard/webhooks/-1"),
        ("GET", "/dashboard/webhooks/1.5"),
        ("POST", "/dashboard/webhooks/abc"),
        ("POST", "/dashboard/webhooks/-1/redeliver"),
        ("POST", "/dashboard/faults/abc/delete"),
        ("GET", "/dashboard/items/x/bogus"),  # was 405: the action route took any word
        ("POST", "/dashboard/items/x/bogus"),
    ],
)
def test_a_malformed_or_unknown_id_is_not_found(dash: Dashboard, method: str, path: str) -> None:
    reply = dash.client.open(path, method=method, data={"csrf_token": dash.csrf})
    assert reply.status_code == 404 and reply.mimetype == "text/html"


def test_add_rule_fires_and_shows_in_log(dash: Dashboard, plaid: PlaidClient) -> None:
    token = plaid.link_item()
    reply = dash.post(
        "/dashboard/faults",
        endpoint="/accounts/*",
        action="error_code",
        error_code="ITEM_LOCKED",
        trigger="nth",
        n="1",
        probability="0.3",  # ignored: not a field of the nth trigger
    )
    assert reply.status_code == 303
    assert plaid.error("/accounts/get", access_token=token)["error_code"] == "ITEM_LOCKED"
    page = dash.get("/dashboard/faults").text
    assert "ITEM_LOCKED" in page and "/accounts/get" in page and "nth n=1" in page


def test_a_code_plaid_does_not_know_is_refused_on_the_field(
    dash: Dashboard, tenant_keys: tenants.Keys
) -> None:
    reply = dash.post("/dashboard/faults", action="error_code", error_code="NOT_A_CODE")
    assert reply.status_code == 400
    assert "<strong>Provider error code</strong>" in reply.text
    assert "NOT_A_CODE is not an error code Plaid knows" in reply.text
    assert fault_rules.rules(db.session, tenant(tenant_keys)) == []


def test_a_form_field_with_a_lone_surrogate_is_refused_as_in_json(
    dash: Dashboard, tenant_keys: tenants.Keys
) -> None:
    """``%ED%A0%80`` (``"\\ud800"`` encoded) was stored as U+FFFD; JSON refuses the same."""
    body = f"csrf_token={dash.csrf}&action=truncate&trigger=always&item_id=%ED%A0%80"
    reply = dash.client.post(
        "/dashboard/faults", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert reply.status_code == 400
    assert "item_id: must not contain unpaired surrogates" in reply.text
    assert fault_rules.rules(db.session, tenant(tenant_keys)) == []


def test_bad_rule_redisplays_the_form_naming_the_field(dash: Dashboard) -> None:
    reply = dash.post("/dashboard/faults", action="http_status", http_status="99", endpoint="/x")
    assert reply.status_code == 400
    assert "<strong>HTTP status</strong>" in reply.text
    assert 'id="f-http_status" name="http_status" type="number" value="99"' in reply.text


def test_a_double_clicked_add_rule_adds_it_once(dash: Dashboard, tenant_keys: tenants.Keys) -> None:
    """Both clicks' requests carry the rule count the page showed; the second one used to add
    the same rule again. The refusal re-shows the form, naming what happened."""
    seen = re.search(r'name="seen" value="([^"]+)"', dash.get("/dashboard/faults").text)
    assert seen and seen[1] == "0", "the add-rule form carries no rule count"
    first = dash.post("/dashboard/faults", action="drop", trigger="always", seen=seen[1])
    second = dash.post("/dashboard/faults", action="drop", trigger="always", seen=seen[1])
    assert first.status_code == 303 and second.status_code == 400
    assert "the rules had changed since the page showed them" in second.text
    assert len(fault_rules.rules(db.session, tenant(tenant_keys))) == 1
    again = re.search(r'name="seen" value="([^"]+)"', second.text)
    assert again and again[1] == "1"  # the re-shown form can add it on purpose
    assert dash.post("/dashboard/faults", action="drop", seen=again[1]).status_code == 303
    assert len(fault_rules.rules(db.session, tenant(tenant_keys))) == 2


def test_a_rule_count_the_page_did_not_show_is_refused_naming_seen(dash: Dashboard) -> None:
    reply = dash.post("/dashboard/faults", action="drop", seen="-1")
    assert reply.status_code == 400
    assert "<strong>seen</strong>: is not a rule count this page showed" in reply.text


def test_delete_one_rule_and_clear_all(dash: Dashboard, tenant_keys: tenants.Keys) -> None:
    for _ in range(3):
        dash.post("/dashboard/faults", action="drop", trigger="always")
    rules = fault_rules.rules(db.session, tenant(tenant_keys))
    dash.post(f"/dashboard/faults/{rules[0].id}/delete")
    assert len(fault_rules.rules(db.session, tenant(tenant_keys))) == 2
    dash.post("/dashboard/faults/clear")
    assert len(fault_rules.rules(db.session, tenant(tenant_keys))) == 2  # not confirmed
    dash.post("/dashboard/faults/clear", confirm="yes")
    assert fault_rules.rules(db.session, tenant(tenant_keys)) == []


def test_set_institution_health_and_back_to_catalogue(dash: Dashboard, plaid: PlaidClient) -> None:
    token = plaid.link_item()
    dash.post("/dashboard/health/ins_109508", status="DOWN")
    assert plaid.error("/accounts/get", access_token=token)["error_code"] == "INSTITUTION_DOWN"
    assert "ins_109508 is now DOWN." in dash.get("/dashboard/faults").text
    dash.post("/dashboard/health/ins_109508", status="CATALOGUE")
    plaid.ok("/accounts/get", access_token=token)


def test_bad_failure_rate_is_flashed(dash: Dashboard) -> None:
    dash.post("/dashboard/health/ins_109508", status="DEGRADED", failure_rate="2")
    assert "failure_rate: must be from 0 to 1" in dash.get("/dashboard/faults").text


def test_a_health_change_is_said_in_the_health_section_it_returns_to(dash: Dashboard) -> None:
    """The reply goes back to ``#health``, a screen or more below the page's top: the message
    was at the top, out of sight, so a refused rate looked like a Set that did nothing."""
    dash.post("/dashboard/health/ins_109508", status="DEGRADED", failure_rate="2")
    page = dash.get("/dashboard/faults").text
    health, log = page.index('id="health"'), page.index('id="log-title"')
    said = page.index("failure_rate: must be from 0 to 1")
    assert health < said < log and page.count("must be from 0 to 1") == 1
    dash.post("/dashboard/health/ins_109508", status="DOWN")
    page = dash.get("/dashboard/faults").text
    assert (
        page.index('id="health"')
        < page.index("ins_109508 is now DOWN.")
        < page.index('id="log-title"')
    )


@pytest.mark.parametrize(
    ("path", "form", "said"),
    [
        (
            "/dashboard/faults",
            {"action": "http_status", "http_status": "abc"},
            "<strong>HTTP status</strong>: must be an integer from 200 to 599",
        ),
        (
            "/dashboard/faults",
            {"action": "error_code", "error_code": ""},
            "<strong>Provider error code</strong>: required for this action",
        ),
        (
            "/dashboard/faults",
            {"action": "latency_only", "latency_ms": "-1"},
            "<strong>Added latency (ms)</strong>: must be an integer from 0 to 120000",
        ),
        (
            "/dashboard/transactions?min_amount=50&max_amount=10",
            None,
            "<strong>max_amount</strong>: must not be below min_amount",
        ),
    ],
)
def test_a_refused_field_is_named_once(
    dash: Dashboard, path: str, form: dict[str, str] | None, said: str
) -> None:
    """The page names the field beside the message, which named it again ("HTTP status:
    http_status must be …", "Provider error code: Provider error code is needed …")."""
    reply = dash.get(path) if form is None else dash.post(path, **form)
    assert reply.status_code == 400
    alert = re.search(r'role="alert" id="[a-z]+-error">(.*?)</p>', reply.text)
    assert alert and alert[1] == said


def test_the_error_page_names_a_refused_field_once(dash: Dashboard) -> None:
    """A form field the screening refuses is the site's 400 page: it said "q: q must not …"."""
    reply = dash.get("/dashboard/transactions?q=a%00b")
    assert reply.status_code == 400
    assert "q: must not contain NUL characters" in reply.text and "q: q " not in reply.text


def test_home_page_links_to_the_dashboard(app: Flask) -> None:
    assert 'href="/dashboard"' in app.test_client().get("/").text


def test_an_item_removed_on_the_dashboard_shows_its_unsent_webhook_cancelled(
    dash: Dashboard, plaid: PlaidClient, tenant_keys: tenants.Keys
) -> None:
    """Its ``INITIAL_UPDATE`` was still queued: it is not sent, and the log says so, with no
    Redeliver button and no link to an item page that is gone."""
    item_id = linked_item(plaid, webhook=HOOK)
    dash.post(f"/dashboard/items/{item_id}/remove", confirm="yes")
    event = _first_event(tenant_keys)
    assert event.status == "cancelled"
    listing = dash.get("/dashboard/webhooks?status=cancelled").text
    assert ">cancelled</span>" in listing and event.webhook_code in listing
    page = dash.get(f"/dashboard/webhooks/{event.id}").text
    assert "its item was removed" in page and "Redeliver" not in page
    assert f"/dashboard/items/{item_id}" not in page and "(removed)" in page
    refused = dash.post(f"/dashboard/webhooks/{event.id}/redeliver")  # a tab left open
    assert refused.status_code == 400 and "so it is not sent" in refused.text


def test_a_webhook_plaids_rejection_rule_stopped_says_why_and_can_be_redelivered(
    dash: Dashboard, plaid: PlaidClient, tenant_keys: tenants.Keys
) -> None:
    """Ten items' webhooks refused at ``HOOK``: the tenth trips the rule, not retried."""
    for _ in range(10):
        linked_item(plaid, webhook=HOOK)
    dash.post("/dashboard/webhooks/deliver")
    latest = webhooks.events(db.session, tenant(tenant_keys), status="endpoint_failing")[0]
    listing = dash.get("/dashboard/webhooks").text
    assert listing.count('pill-retrying" title=') == 9  # rows, not the legend
    assert 'pill-endpoint_failing" title="an attempt failed and is not retried' in listing
    detail = dash.get(f"/dashboard/webhooks/{latest.id}").text
    assert "rejected over 90% of the webhooks" in detail and ">Redeliver</button>" in detail
    dash.post(f"/dashboard/webhooks/{latest.id}/redeliver")
    db.session.refresh(latest)
    assert latest.status == "pending"


def test_a_faults_form_rule_for_an_item_the_tenant_lacks_names_the_field(
    dash: Dashboard, tenant_keys: tenants.Keys
) -> None:
    """Stored, it matched no call and never fired."""
    reply = dash.post("/dashboard/faults", action="truncate", item_id="item-nope")
    assert reply.status_code == 400
    assert "<strong>Item id</strong>" in reply.text
    assert "unknown item_id item-nope: this tenant has no live item with it" in reply.text
    reply = dash.post("/dashboard/faults", action="truncate", institution_id="ins_nope")
    assert "<strong>Institution id</strong>" in reply.text
    assert "unknown institution_id ins_nope" in reply.text
    assert fault_rules.rules(db.session, tenant(tenant_keys)) == []


def seen_clock(dash: Dashboard) -> str:
    seen = re.search(r'name="seen" value="([^"]+)"', dash.get("/dashboard").text)
    assert seen, "the clock forms carry no clock"
    return seen[1]


def test_the_clock_card_has_a_labelled_form_setting_a_date_and_time(dash: Dashboard) -> None:
    page = dash.get("/dashboard").text
    assert '<label for="clock-set">Set to (UTC)</label>' in page
    field = 'id="clock-set" type="datetime-local" name="set" value="2026-03-16T15:30"'
    assert field in page and 'min="2026-03-16T15:30"' in page
    assert re.search(r'name="then" value="frozen" checked>', page)  # the clock is frozen


@pytest.mark.parametrize("then", ["frozen", "running"])
def test_setting_the_clock_moves_tenant_time_and_items(
    dash: Dashboard, plaid: PlaidClient, tenant_keys: tenants.Keys, then: str
) -> None:
    linked_item(plaid)
    form = {"change": "set", "set": "2026-04-01T09:00", "then": then}
    reply = dash.post("/dashboard/clock", seen=seen_clock(dash), **form)
    assert reply.status_code == 303
    row = tenant(tenant_keys)
    now = tenants.clock_of(row).now()
    assert (
        dt.timedelta(0) <= now - dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC) < dt.timedelta(minutes=1)
    )
    assert (row.clock_frozen_at is not None) == (then == "frozen")
    page = dash.get("/dashboard").text
    assert f"Clock set to 2026-04-01 09:00 UTC, {then}; 1 item(s) changed." in page


def test_a_double_clicked_clock_set_moves_the_clock_once(
    dash: Dashboard, tenant_keys: tenants.Keys
) -> None:
    seen = seen_clock(dash)
    for day in ("2026-04-01", "2026-04-02"):  # the second click with another date typed
        dash.post("/dashboard/clock", change="set", set=f"{day}T09:00", then="frozen", seen=seen)
    assert tenants.clock_of(tenant(tenant_keys)).now().isoformat() == "2026-04-01T09:00:00+00:00"
    assert "clock: the clock had moved since the page showed it" in dash.get("/dashboard").text


def test_setting_the_clock_in_the_past_is_a_flash_naming_set(
    dash: Dashboard, tenant_keys: tenants.Keys
) -> None:
    form = {"change": "set", "set": "2026-03-01T09:00", "then": "frozen"}
    dash.post("/dashboard/clock", seen=seen_clock(dash), **form)
    assert "set: the clock only moves forward" in dash.get("/dashboard").text
    assert tenants.clock_of(tenant(tenant_keys)).now().isoformat() == "2026-03-16T15:30:00+00:00"


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"set": "next tuesday", "then": "frozen"}, "set: must be a date and time"),
        ({"set": "", "then": "frozen"}, "set: must be a date and time"),
        ({"set": "2026-04-01T09:00", "then": "later"}, "then: must be one of frozen, running"),
    ],
)
def test_a_malformed_clock_set_is_a_400_page_naming_the_field(
    dash: Dashboard, tenant_keys: tenants.Keys, form: dict[str, str], said: str
) -> None:
    reply = dash.post("/dashboard/clock", change="set", **form)
    assert reply.status_code == 400 and said in reply.text
    assert tenants.clock_of(tenant(tenant_keys)).now().isoformat() == "2026-03-16T15:30:00+00:00"


def test_the_skip_link_passes_the_tabs_to_the_pages_heading(dash: Dashboard) -> None:
    """It pointed at ``<main>``, whose first thing is the tab bar."""
    page = dash.get("/dashboard").text
    assert '<a class="skip-link" href="#content">' in page
    target = page.index('id="content" tabindex="-1"')
    assert page.index('class="tabs"') < target < page.index("<h1>Overview</h1>")
