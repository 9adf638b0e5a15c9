"""Instant micro-deposits and Database Insights / Match through hosted Link's bank pane
(plaid-products.md §5): the items they make, as ``/accounts/get``, ``/auth/get``,
``/item/get``, ``/link/token/get`` and the LINK webhooks show them."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.plaid.contract import openapi_errors, sdk_deserialize
from tests.api.plaid.helpers import queued_webhooks
from tests.api.web.test_link_pages import LinkBrowser, to_credentials
from tests.conftest import PlaidClient

HOOK = "https://receiver.test/hook"
INSTANT = {"products": ["auth"], "auth": {"instant_microdeposits_enabled": True}}
INSIGHTS = {"products": ["auth"], "auth": {"database_insights_enabled": True}}
MATCH = {"products": ["auth"], "auth": {"database_match_enabled": True}}
CANADIAN_INSIGHTS = {**INSIGHTS, "country_codes": ["CA"]}
WINDOWPANE = {"routing_number": "333333334", "account_number": "1111222233330000"}


def _typed(plaid: PlaidClient, config: dict[str, Any], **form: str) -> tuple[LinkBrowser, Any]:
    """Hosted Link past consent, the numbers typed on the bank pane, and the reply to them."""
    link = LinkBrowser(plaid, webhook=HOOK, **config)
    link.post("consent")
    return link, link.post("manual", **form)


def _exchange(plaid: PlaidClient, link: LinkBrowser, done: Any) -> str:
    public = parse_qs(urlsplit(link.continue_from(done)).query)["public_token"][0]
    token: str = plaid.ok("/item/public_token/exchange", public_token=public)["access_token"]
    return token


def _session(plaid: PlaidClient, link: LinkBrowser) -> dict[str, Any]:
    (session,) = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"]
    return dict(session)


def _instant_item(
    plaid: PlaidClient, products: tuple[str, ...] = ("auth",)
) -> tuple[LinkBrowser, str]:
    link, _ = _typed(plaid, {**INSTANT, "products": list(products)}, **WINDOWPANE)
    done = link.post("verify", code="abc")
    return link, _exchange(plaid, link, done)


# -- Instant micro-deposits ----------------------------------------------------------------


def test_instant_numbers_ask_for_the_code_in_the_same_session(plaid: PlaidClient) -> None:
    link, _ = _typed(plaid, INSTANT, **WINDOWPANE)
    page = link.page()
    assert "Deposit code" in page
    assert plaid.ok("/link/token/get", link_token=link.token)["link_sessions"] == []


def test_the_right_code_links_a_manually_verified_windowpane_item(plaid: PlaidClient) -> None:
    link, token = _instant_item(plaid)
    body = plaid.ok("/auth/get", access_token=token)
    assert openapi_errors("/auth/get", body) == []
    sdk_deserialize("/auth/get", body)
    (account,) = body["accounts"]
    assert (account["subtype"], account["verification_status"]) == (
        "checking",
        "manually_verified",
    )
    assert [n["account_id"] for n in body["numbers"]["ach"]] == [account["account_id"]]
    item = plaid.ok("/item/get", access_token=token)["item"]
    assert (item["institution_id"], item["auth_method"]) == ("ins_135858", "INSTANT_MICRODEPOSITS")
    metadata = _session(plaid, link)["on_success"]["metadata"]
    assert metadata["institution"]["institution_id"] == "ins_135858"
    assert [a["verification_status"] for a in metadata["accounts"]] == ["manually_verified"]


def test_instant_link_events_and_webhooks(plaid: PlaidClient) -> None:
    link, _ = _instant_item(plaid)
    names = [e["event_name"] for e in _session(plaid, link)["events"]]
    typed = names.index("TRANSITION_VIEW")
    assert names[typed : typed + 4] == [
        "TRANSITION_VIEW",
        "SUBMIT_ROUTING_NUMBER",
        "SUBMIT_ACCOUNT_NUMBER",
        "INSTANT_MICRODEPOSIT_AUTHORIZED",
    ]
    assert names[-1] == "HANDOFF"
    codes = [(b["webhook_type"], b["webhook_code"]) for b in queued_webhooks(plaid)]
    assert ("LINK", "ITEM_ADD_RESULT") in codes and ("LINK", "SESSION_FINISHED") in codes
    assert not any(kind == "AUTH" for kind, _ in codes)  # verified in Link: no AUTH webhook


def test_an_instant_item_serves_auth_only(plaid: PlaidClient) -> None:
    _, token = _instant_item(plaid, ("auth", "transactions"))
    assert plaid.ok("/item/get", access_token=token)["item"]["products"] == ["auth"]
    for path in ("/accounts/balance/get", "/transactions/sync", "/identity/get"):
        assert plaid.error(path, access_token=token)["error_code"] == "PRODUCTS_NOT_SUPPORTED"


def test_three_wrong_instant_codes_lock_the_session_without_an_item(plaid: PlaidClient) -> None:
    link, _ = _typed(plaid, INSTANT, **WINDOWPANE)
    link.post("verify", code="XYZ")
    assert "That code is incorrect. 2 attempts left." in link.page()
    link.post("verify", code="XYZ")
    link.post("verify", code="XYZ")
    assert "Verification failed" in link.page()
    link.post("verify", code="ABC")  # locked: the right code comes too late
    assert "Verification failed" in link.page()
    link.post("exit")
    (session,) = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"]
    assert session["on_success"] is None
    assert session["on_exit"]["metadata"]["status"] == "requires_code"


def test_sms_verification_is_same_days_not_instants(plaid: PlaidClient) -> None:
    """``SMS_MICRODEPOSITS_VERIFICATION`` reports a Same Day code typed on Plaid's SMS page;
    an Instant micro-deposit account, though ``manually_verified`` too, has none."""
    _, token = _instant_item(plaid)
    body = plaid.error(
        "/sandbox/item/fire_webhook",
        access_token=token,
        webhook_code="SMS_MICRODEPOSITS_VERIFICATION",
    )
    assert body["error_code"] == "SANDBOX_PRODUCT_NOT_ENABLED"


def test_another_routing_number_takes_the_same_day_upgrade_path(plaid: PlaidClient) -> None:
    config = {
        "products": ["auth"],
        "auth": {**INSTANT["auth"], "same_day_microdeposits_enabled": True},
    }
    link, typed = _typed(
        plaid, config, routing_number="110000000", account_number="1111222233330000"
    )
    token = _exchange(plaid, link, typed)
    (account,) = plaid.ok("/accounts/get", access_token=token)["accounts"]
    assert account["verification_status"] == "pending_manual_verification"
    item = plaid.ok("/item/get", access_token=token)["item"]
    assert item["auth_method"] == "SAME_DAY_MICRODEPOSITS"


def test_instant_alone_names_the_routing_number_it_cannot_take(plaid: PlaidClient) -> None:
    link, _ = _typed(plaid, INSTANT, routing_number="110000000", account_number="1111222233330000")
    page = link.page()
    assert "Check the routing number" in page
    assert "Routing number 110000000 is not at a bank that runs instant micro-deposits" in page


# -- Database Insights and Database Match ----------------------------------------------------


@pytest.mark.parametrize(
    ("account_number", "status", "matched"),
    [
        ("1111222233331111", "database_insights_pass", True),
        ("1111222233333333", "database_insights_pass_with_caution", False),
        ("1111222233330000", "database_insights_fail", False),
    ],
)
def test_database_insights_verdict_and_insights_on_accounts_and_auth(
    plaid: PlaidClient, account_number: str, status: str, matched: bool
) -> None:
    link, typed = _typed(
        plaid,
        INSIGHTS,
        routing_number="011401533",
        account_number=account_number,
        verification_name="John Smith",
    )
    token = _exchange(plaid, link, typed)
    for path in ("/accounts/get", "/auth/get"):  # numbers released at once, whatever the verdict
        body = plaid.ok(path, access_token=token)
        assert openapi_errors(path, body) == []
        sdk_deserialize(path, body)
        (account,) = body["accounts"]
        assert account["verification_status"] == status
        assert account["verification_name"] == "John Smith"
        insights = account["verification_insights"]
        assert insights["network_status"] == {
            "has_numbers_match": matched,
            "is_numbers_match_verified": matched,
        }
        assert insights["name_match_score"] == (100 if matched else None)
    item = plaid.ok("/item/get", access_token=token)["item"]
    assert item["auth_method"] == "DATABASE_INSIGHTS"
    assert plaid.error("/accounts/balance/get", access_token=token)["error_code"] == (
        "PRODUCTS_NOT_SUPPORTED"
    )
    metadata = _session(plaid, link)["on_success"]["metadata"]
    assert [a["verification_status"] for a in metadata["accounts"]] == [status]


def test_the_link_tokens_legal_name_fills_the_holders_name(plaid: PlaidClient) -> None:
    config = {**INSIGHTS, "user": {"client_user_id": "u1", "legal_name": "John Smith"}}
    link = LinkBrowser(plaid, **config)
    link.post("consent")
    assert 'value="John Smith"' in link.page()
    done = link.post("manual", routing_number="011401533", account_number="1111222233331111")
    token = _exchange(plaid, link, done)
    (account,) = plaid.ok("/accounts/get", access_token=token)["accounts"]
    assert account["verification_insights"]["name_match_score"] == 100


def test_database_insights_refuses_a_routing_number_failing_its_check(plaid: PlaidClient) -> None:
    link, _ = _typed(plaid, INSIGHTS, routing_number="123456789", account_number="1111222233331111")
    assert "Routing number must pass the ABA check digit" in link.page()


@pytest.mark.parametrize(
    ("name", "status", "method"),
    [
        ("John Smith", "database_matched", "DATABASE_MATCH"),
        ("Jane Doe", "pending_manual_verification", "SAME_DAY_MICRODEPOSITS"),
    ],
)
def test_database_match_or_the_fall_to_same_day(
    plaid: PlaidClient, name: str, status: str, method: str
) -> None:
    link, typed = _typed(
        plaid,
        MATCH,
        routing_number="110000000",
        account_number="1111222233331111",
        verification_name=name,
    )
    token = _exchange(plaid, link, typed)
    (account,) = plaid.ok("/accounts/get", access_token=token)["accounts"]
    assert account["verification_status"] == status
    assert "verification_insights" not in account
    assert plaid.ok("/item/get", access_token=token)["item"]["auth_method"] == method


@pytest.mark.parametrize(
    ("institution", "branch", "account_number", "status"),
    [
        ("110", "11111", "11223311", "database_insights_pass"),
        ("110", "11111", "11223333", "database_insights_pass_with_caution"),
        ("110", "11111", "11220000", "database_insights_fail"),
        ("110", "22222", "11223311", "database_insights_fail"),
        ("003", "11111", "11223311", "database_insights_fail"),
    ],
)
def test_canadian_database_insights_takes_eft_numbers_and_returns_eft_numbers(
    plaid: PlaidClient, institution: str, branch: str, account_number: str, status: str
) -> None:
    link = LinkBrowser(plaid, webhook=HOOK, **CANADIAN_INSIGHTS)
    link.post("consent")
    page = link.page()
    for field in ("institution_number", "branch_number", "account_number"):
        assert f'name="{field}"' in page
    assert 'name="routing_number"' not in page
    done = link.post(
        "manual",
        institution_number=institution,
        branch_number=branch,
        account_number=account_number,
        verification_name="John Smith",
    )
    token = _exchange(plaid, link, done)
    matched = status == "database_insights_pass"
    body = plaid.ok("/auth/get", access_token=token)
    assert openapi_errors("/auth/get", body) == []
    sdk_deserialize("/auth/get", body)
    (account,) = body["accounts"]
    assert account["verification_status"] == status
    assert account["verification_insights"]["network_status"]["has_numbers_match"] is matched
    assert account["verification_insights"]["name_match_score"] == (100 if matched else None)
    assert body["numbers"]["ach"] == []
    (eft,) = body["numbers"]["eft"]
    assert eft["account_id"] == account["account_id"]
    assert (len(eft["institution"]), len(eft["branch"])) == (3, 5)
    item = plaid.ok("/item/get", access_token=token)["item"]
    assert (item["auth_method"], item["institution_id"]) == ("DATABASE_INSIGHTS", "ins_43")


@pytest.mark.parametrize(
    ("form", "field_words"),
    [
        ({"institution_number": "11", "branch_number": "11111"}, "Institution number must be 3"),
        (
            {"institution_number": "110", "branch_number": "1111a"},
            "Transit (branch) number must be 5",
        ),
        (
            {"institution_number": "110", "branch_number": "11111", "account_number": "123"},
            "Account number must be 7 to 12",
        ),
    ],
)
def test_canadian_numbers_of_the_wrong_shape_name_the_field(
    plaid: PlaidClient, form: dict[str, str], field_words: str
) -> None:
    link, _ = _typed(plaid, CANADIAN_INSIGHTS, **{"account_number": "11223311", **form})
    assert field_words in link.page()


def test_database_insights_is_offered_to_canada_alone_and_other_flows_are_not(
    plaid: PlaidClient,
) -> None:
    body = {
        "client_name": "Demo",
        "language": "en",
        "user": {"client_user_id": "u1"},
        "products": ["auth"],
    }
    insights = {"database_insights_enabled": True}
    plaid.ok("/link/token/create", **body, country_codes=["CA"], auth=insights)
    error = plaid.error("/link/token/create", **body, country_codes=["US", "CA"], auth=insights)
    assert error["error_message"].startswith("auth.database_insights_enabled")
    same_day = {"same_day_microdeposits_enabled": True}
    error = plaid.error("/link/token/create", **body, country_codes=["CA"], auth=same_day)
    assert error["error_message"].startswith("auth.same_day_microdeposits_enabled")


# -- the link token's flags ------------------------------------------------------------------


@pytest.mark.parametrize(
    "flag",
    ["instant_microdeposits_enabled", "database_insights_enabled", "database_match_enabled"],
)
def test_a_flow_flag_on_a_token_without_auth_is_invalid_field(
    plaid: PlaidClient, flag: str
) -> None:
    body = {
        "client_name": "Demo",
        "language": "en",
        "country_codes": ["US"],
        "user": {"client_user_id": "u1"},
        "products": ["transactions"],
        "auth": {flag: True},
    }
    error = plaid.error("/link/token/create", **body)
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert error["error_message"].startswith(f"auth.{flag}"), error["error_message"]
    plaid.ok("/link/token/create", **{**body, "country_codes": ["US"], "auth": {flag: False}})
    error = plaid.error(
        "/link/token/create", **{**body, "products": ["auth"], "country_codes": ["GB"]}
    )
    assert error["error_message"].startswith(f"auth.{flag}"), error["error_message"]


# -- Instant Match -----------------------------------------------------------------------------

HOUNDSTOOTH_SAVING = {"routing_number": "021000021", "account_number": "1111222233331111"}


def _signed_in_at_houndstooth(
    plaid: PlaidClient, password: str = "pass_good", **config: Any
) -> LinkBrowser:
    """Hosted Link signed in at Houndstooth Bank, the sandbox's Instant Match bank."""
    link = LinkBrowser(plaid, webhook=HOOK, **{"products": ["auth"], **config})
    to_credentials(link, "ins_109512")
    link.post("credentials", username="user_good", password=password)
    return link


def test_instant_match_asks_for_the_numbers_of_plaid_saving(plaid: PlaidClient) -> None:
    page = _signed_in_at_houndstooth(plaid).page()
    assert "Confirm your account numbers" in page
    assert "Plaid Saving ••1111" in page
    assert 'name="routing_number"' in page and 'name="account_number"' in page


def test_matching_numbers_link_the_one_account_by_instant_match(plaid: PlaidClient) -> None:
    link = _signed_in_at_houndstooth(plaid, products=["auth", "transactions"])
    token = _exchange(plaid, link, link.post("match", **HOUNDSTOOTH_SAVING))
    body = plaid.ok("/auth/get", access_token=token)
    assert openapi_errors("/auth/get", body) == []
    sdk_deserialize("/auth/get", body)
    (account,) = body["accounts"]
    assert (account["name"], account["mask"], account["subtype"]) == (
        "Plaid Saving",
        "1111",
        "savings",
    )
    assert account.get("verification_status") is None
    assert [n["account_id"] for n in body["numbers"]["ach"]] == [account["account_id"]]
    item = plaid.ok("/item/get", access_token=token)["item"]
    assert (item["institution_id"], item["auth_method"]) == ("ins_109512", "INSTANT_MATCH")
    assert set(item["products"]) == {"auth", "transactions"}  # a login stands behind it
    plaid.ok("/accounts/balance/get", access_token=token)
    session = _session(plaid, link)
    assert [a["mask"] for a in session["on_success"]["metadata"]["accounts"]] == ["1111"]
    names = [e["event_name"] for e in session["events"]]
    typed = names.index("TRANSITION_VIEW")
    assert names[typed : typed + 3] == [
        "TRANSITION_VIEW",
        "SUBMIT_ROUTING_NUMBER",
        "SUBMIT_ACCOUNT_NUMBER",
    ]


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({**HOUNDSTOOTH_SAVING, "account_number": "1111222233330000"}, "account number"),
        ({**HOUNDSTOOTH_SAVING, "routing_number": "110000000"}, "routing number"),
    ],
)
def test_numbers_that_do_not_match_fail_naming_the_field(
    plaid: PlaidClient, form: dict[str, str], words: str
) -> None:
    link = _signed_in_at_houndstooth(plaid)
    failed = link.post("match", **form)
    assert failed.status_code == 303
    page = link.page()
    assert "INSTANT_MATCH_FAILED" in page and f"Check the {words}" in page
    assert f"{words.capitalize()} does not match Plaid Saving ••1111." in page
    link.post("exit")
    exit_error = _session(plaid, link)["on_exit"]["error"]
    assert (exit_error["error_type"], exit_error["error_code"]) == (
        "ITEM_ERROR",
        "INSTANT_MATCH_FAILED",
    )
    assert _session(plaid, link)["on_success"] is None


def test_malformed_numbers_name_the_field_and_try_again_leads_back(
    plaid: PlaidClient,
) -> None:
    link = _signed_in_at_houndstooth(plaid)
    link.post("match", **{**HOUNDSTOOTH_SAVING, "routing_number": "12345"})
    page = link.page()
    assert "Check the routing number" in page and "INVALID_FIELD" in page
    link.post("retry")  # back to the sign-in, then the numbers again
    link.post("credentials", username="user_good", password="pass_good")
    done = link.post("match", **HOUNDSTOOTH_SAVING)
    assert "public_token=public-sandbox-" in link.continue_from(done)


@pytest.mark.parametrize(
    ("password", "config", "method"),
    [
        ("pass_good", {"auth": {"instant_match_enabled": False}}, "INSTANT_AUTH"),
        ("pass_good", {"products": ["transactions"]}, None),
        ("microdeposits_good", {}, "AUTOMATED_MICRODEPOSITS"),
    ],
)
def test_instant_match_needs_its_flag_auth_and_the_good_password(
    plaid: PlaidClient, password: str, config: dict[str, Any], method: str | None
) -> None:
    """The flag turned off, a Link without Auth, or automated micro-deposits' password:
    the sign-in finishes as at any bank, with every account."""
    link = _signed_in_at_houndstooth(plaid, password, **config)
    page = link.page()
    assert "Confirm your account numbers" not in page
    sessions = plaid.ok("/link/token/get", link_token=link.token)["link_sessions"]
    public = sessions[0]["on_success"]["public_token"]
    token = plaid.ok("/item/public_token/exchange", public_token=public)["access_token"]
    assert len(plaid.ok("/accounts/get", access_token=token)["accounts"]) > 1
    assert plaid.ok("/item/get", access_token=token)["item"]["auth_method"] == method
