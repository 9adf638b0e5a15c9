"""Items: exchange, get, remove, webhook update, token invalidation, reset_login."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select

from sandbox.core.models import Tenant
from sandbox.extensions import db
from tests.api.plaid.helpers import advance_clock, items_stored, queued_webhooks
from tests.conftest import FROZEN_NOW, PlaidClient


def test_public_token_exchange_once_only(plaid: PlaidClient) -> None:
    public = plaid.ok(
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["transactions"],
    )["public_token"]
    first = plaid.ok("/item/public_token/exchange", public_token=public)
    assert first["access_token"].startswith("access-sandbox-")
    assert len(first["item_id"]) == 37
    again = plaid.error("/item/public_token/exchange", public_token=public)
    assert again["error_code"] == "INVALID_PUBLIC_TOKEN"
    assert again["error_type"] == "INVALID_INPUT"


def test_item_get_reports_institution_and_products(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=("transactions", "auth"))
    body = plaid.ok("/item/get", access_token=token)
    item = body["item"]
    assert item["institution_id"] == "ins_109508"
    assert item["institution_name"] == "First Platypus Bank"
    assert item["billed_products"] == ["auth", "transactions"]
    assert "transactions" not in item["available_products"]
    assert item["error"] is None
    assert item["created_at"].endswith("Z")
    assert set(body["status"]) == {"transactions", "investments", "last_webhook"}


@pytest.mark.parametrize(
    ("institution", "products", "method"),
    [
        ("ins_109508", ("transactions",), None),  # no Auth numbers: null, as Plaid's example
        ("ins_109508", ("transactions", "auth"), "INSTANT_AUTH"),
        # Houndstooth without Link's panes (no Instant Match pane): the login reads the numbers
        ("ins_109512", ("auth",), "INSTANT_AUTH"),
    ],
)
def test_item_auth_method_says_how_the_auth_numbers_came(
    plaid: PlaidClient, institution: str, products: tuple[str, ...], method: str | None
) -> None:
    token = plaid.link_item(institution, products=products)
    assert plaid.ok("/item/get", access_token=token)["item"]["auth_method"] == method
    assert plaid.ok("/accounts/get", access_token=token)["item"]["auth_method"] == method


def test_auth_added_on_first_use_sets_the_auth_method(plaid: PlaidClient) -> None:
    token = plaid.link_item(products=("transactions",))
    plaid.ok("/auth/get", access_token=token)
    assert plaid.ok("/item/get", access_token=token)["item"]["auth_method"] == "INSTANT_AUTH"


def test_item_get_status_shows_investments_updates_of_an_investments_item(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item(products=("transactions",))
    assert plaid.ok("/item/get", access_token=token)["status"]["investments"] is None
    token = plaid.link_item(products=("investments",))
    linked = plaid.ok("/item/get", access_token=token)
    assert linked["status"]["investments"] == {
        "last_successful_update": linked["item"]["created_at"],
        "last_failed_update": None,
    }
    advance_clock(plaid, 1)
    plaid.ok("/investments/refresh", access_token=token)
    refreshed = plaid.ok("/item/get", access_token=token)["status"]["investments"]
    assert refreshed["last_successful_update"] > linked["item"]["created_at"]


def test_reset_login_breaks_data_calls_but_not_item_get(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    assert plaid.ok("/sandbox/item/reset_login", access_token=token)["reset_login"] is True
    error = plaid.error("/accounts/get", access_token=token)
    assert (error["error_type"], error["error_code"]) == ("ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    assert error["display_message"] == "Please update your login credentials."  # Plaid's words
    item = plaid.ok("/item/get", access_token=token)["item"]
    assert item["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"


def test_item_remove_then_item_not_found(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    assert set(plaid.ok("/item/remove", access_token=token)) == {"request_id"}
    error = plaid.error("/accounts/get", access_token=token)
    assert error["error_code"] == "ITEM_NOT_FOUND"


def test_access_token_invalidate_rotates(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    new = plaid.ok("/item/access_token/invalidate", access_token=token)["new_access_token"]
    assert new != token
    assert plaid.error("/accounts/get", access_token=token)["error_code"] == "INVALID_ACCESS_TOKEN"
    assert plaid.ok("/accounts/get", access_token=new)["accounts"]


def test_webhook_update_sets_and_clears(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    item = plaid.ok("/item/webhook/update", access_token=token, webhook="https://example.com/hook")
    assert item["item"]["webhook"] == "https://example.com/hook"
    cleared = plaid.ok("/item/webhook/update", access_token=token, webhook=None)
    assert cleared["item"]["webhook"] is None


@pytest.mark.parametrize(
    ("password", "code", "error_type"),
    [
        ("error_ITEM_LOCKED", "ITEM_LOCKED", "ITEM_ERROR"),
        ("error_INVALID_CREDENTIALS", "INVALID_CREDENTIALS", "ITEM_ERROR"),
        ("error_INSTITUTION_DOWN", "INSTITUTION_DOWN", "INSTITUTION_ERROR"),
        ("wrong_password", "INVALID_CREDENTIALS", "ITEM_ERROR"),
    ],
)
def test_sandbox_public_token_error_passwords(
    plaid: PlaidClient, password: str, code: str, error_type: str
) -> None:
    error = plaid.error(
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["transactions"],
        options={"override_username": "user_good", "override_password": password},
    )
    assert (error["error_type"], error["error_code"]) == (error_type, code)


CARD = {"type": "credit", "subtype": "credit card", "starting_balance": 250}
STUDENT_LOAN = {"type": "loan", "subtype": "student", "starting_balance": 9000}
AUTO_LOAN = {"type": "loan", "subtype": "auto", "starting_balance": 7000}
CHECKING = {"type": "depository", "subtype": "checking", "starting_balance": 100}


# A product no account of the login serves, and the error Link (and every way of making an
# item without it) ends with.
UNSERVED = pytest.mark.parametrize(
    ("product", "accounts", "code", "message"),
    [
        (
            "auth",
            [CARD, STUDENT_LOAN],
            "NO_AUTH_ACCOUNTS",
            "no valid checking or savings account(s) found",
        ),
        (
            "investments",
            [CHECKING, CARD],
            "NO_INVESTMENT_ACCOUNTS",
            "no valid investment accounts were found",
        ),
        (
            "investments_auth",  # Investments Move
            [CHECKING, CARD],
            "NO_INVESTMENT_AUTH_ACCOUNTS",
            "there are no valid investment account(s) associated with this item for this request",
        ),
        (
            "liabilities",
            [CHECKING, AUTO_LOAN],
            "NO_LIABILITY_ACCOUNTS",
            "no valid liability accounts were found",
        ),
    ],
)


@UNSERVED
def test_sandbox_public_token_product_no_account_serves_is_its_link_error(
    plaid: PlaidClient, product: str, accounts: list[dict[str, Any]], code: str, message: str
) -> None:
    """As hosted Link ends when no shared account serves a required product, the shortcut
    refuses it with Link's error, and queues nothing: no item was made."""
    error = plaid.error(
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["transactions", product],
        options={
            "override_username": "user_custom",
            "override_password": json.dumps({"override_accounts": accounts}),
            "webhook": "https://app.example/hook",
        },
    )
    assert (error["error_type"], error["error_code"], error["http_status"]) == (
        "ITEM_ERROR",
        code,
        400,
    )
    assert error["error_message"] == message
    assert queued_webhooks(plaid) == []


@UNSERVED
def test_item_import_product_no_account_serves_is_its_link_error(
    plaid: PlaidClient, product: str, accounts: list[dict[str, Any]], code: str, message: str
) -> None:
    """``/item/import`` checks its ``products`` as ``/sandbox/public_token/create`` does: the
    same error, and no item written."""
    error = plaid.error(
        "/item/import",
        products=["transactions", product],
        user_auth={
            "user_id": "user_custom",
            "auth_token": json.dumps({"override_accounts": accounts}),
        },
        options={"webhook": "https://app.example/hook"},
    )
    assert (error["error_type"], error["error_code"], error["http_status"]) == (
        "ITEM_ERROR",
        code,
        400,
    )
    assert error["error_message"] == message
    assert items_stored(plaid) == 0
    assert queued_webhooks(plaid) == []


@pytest.mark.parametrize(
    ("product", "code"),
    [
        ("investments", "NO_INVESTMENT_ACCOUNTS"),
        ("investments_auth", "NO_INVESTMENT_AUTH_ACCOUNTS"),  # Investments Move
    ],
)
def test_sandbox_public_token_persona_without_investments_is_the_products_error(
    plaid: PlaidClient, product: str, code: str
) -> None:
    error = plaid.error(
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=[product],
        options={"override_username": "user_student", "override_password": "pass_good"},
    )
    assert error["error_code"] == code


def test_sandbox_public_token_user_good_takes_every_product_of_the_bank(
    plaid: PlaidClient,
) -> None:
    offered = [
        "assets",
        "auth",
        "identity",
        "identity_match",
        "investments",
        "investments_auth",
        "liabilities",
        "signal",
        "statements",
        "transactions",
    ]
    token = plaid.link_item(products=tuple(offered))
    assert plaid.ok("/item/get", access_token=token)["item"]["billed_products"] == offered


def test_tenants_never_see_each_others_items(plaid: PlaidClient, app) -> None:  # type: ignore[no-untyped-def]
    from sandbox.core import tenants
    from sandbox.extensions import db

    token = plaid.link_item()
    _, other = tenants.create(db.session, "other", 7)
    db.session.commit()
    stranger = PlaidClient(plaid.client, other.client_id, other.secret)
    assert (
        stranger.error("/accounts/get", access_token=token)["error_code"] == "INVALID_ACCESS_TOKEN"
    )


def test_item_import_uses_user_auth_as_test_credentials(plaid: PlaidClient) -> None:
    token = plaid.ok(
        "/item/import",
        products=["transactions"],
        user_auth={"user_id": "user_good", "auth_token": "pass_good"},
    )["access_token"]
    assert plaid.ok("/accounts/get", access_token=token)["item"]["institution_id"] == "ins_109508"
    error = plaid.error(
        "/item/import",
        products=["transactions"],
        user_auth={"user_id": "user_good", "auth_token": "error_ITEM_LOCKED"},
    )
    assert error["error_code"] == "ITEM_LOCKED"


def test_item_import_product_the_bank_lacks_is_rejected(plaid: PlaidClient) -> None:
    error = plaid.error(
        "/item/import",
        products=["auth"],
        institution_id="ins_10",
        user_auth={"user_id": "user_good", "auth_token": "pass_good"},
    )
    assert error["error_code"] == "PRODUCTS_NOT_SUPPORTED"


def test_an_item_whose_consent_ended_says_why_everywhere(plaid: PlaidClient) -> None:
    """plaid.md §5: a login required because OAuth consent ended carries
    ``error_code_reason: OAUTH_CONSENT_EXPIRED``, on reads, on the item and in the ERROR
    webhook; a login broken otherwise has none."""
    expired = plaid.link_item("ins_117650", webhook="https://app.example/hook")
    reset = plaid.link_item("ins_117650")
    plaid.ok("/sandbox/item/reset_login", access_token=reset)
    assert plaid.error("/accounts/get", access_token=reset)["error_code_reason"] is None
    advance_clock(plaid, 91)
    refused = plaid.error("/accounts/get", access_token=expired)
    assert (refused["error_code"], refused["error_code_reason"]) == (
        "ITEM_LOGIN_REQUIRED",
        "OAUTH_CONSENT_EXPIRED",
    )
    item = plaid.ok("/item/get", access_token=expired)["item"]
    assert item["error"]["error_code_reason"] == "OAUTH_CONSENT_EXPIRED"
    (webhook,) = [w for w in queued_webhooks(plaid) if w["webhook_code"] == "ERROR"]
    assert webhook["error"]["error_code_reason"] == "OAUTH_CONSENT_EXPIRED"


@pytest.mark.parametrize(
    ("institution_id", "code", "field"),
    [
        ("ins_117650", "PENDING_EXPIRATION", "consent_expiration_time"),
        ("ins_127287", "PENDING_DISCONNECT", "disconnect_time"),
    ],
)
def test_the_consent_warning_names_the_expiry_as_item_get_does(
    plaid: PlaidClient, institution_id: str, code: str, field: str
) -> None:
    """An app compares the warning's instant with ``/item/get``'s: linked at a moment with
    sub-seconds, the webhook said ``...:00.250000Z`` where the item says ``...:00Z``."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.client_id == plaid.client_id))
    assert tenant is not None
    tenant.clock_frozen_at = FROZEN_NOW + dt.timedelta(microseconds=250_000)
    db.session.commit()
    token = plaid.link_item(institution_id, webhook="https://app.example/hook")
    advance_clock(plaid, 360 if code == "PENDING_DISCONNECT" else 85)
    (warning,) = [w for w in queued_webhooks(plaid) if w["webhook_code"] == code]
    expires = plaid.ok("/item/get", access_token=token)["item"]["consent_expiration_time"]
    assert warning[field] == expires
    assert expires.endswith(":00Z")
