"""A processor token's settings: product permissions (the app's) and a webhook (the partner's).

Permissions narrow what the partner reads, on every ``/processor/*`` read; the webhook gets
``PROCESSOR_TOKEN``/``WEBHOOK_UPDATE_ACKNOWLEDGED`` and then the item's Transactions,
Investments Transactions and Auth ``DEFAULT_UPDATE`` webhooks, in Plaid's
``Processor*Webhook`` shapes, through the same outbox as the app's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.plaid import contract
from tests.api.plaid.helpers import advance_clock, processor_token, queued_events
from tests.conftest import PlaidClient

APP_HOOK = "https://app.test/hook"
PARTNER_HOOK = "https://partner.test/hook"
START, END = "2025-01-01", "2026-03-16"
PRODUCTS = ("auth", "transactions", "investments", "liabilities")


def _token(plaid: PlaidClient, mask: str = "0000", **options: Any) -> tuple[str, str, str]:
    """A processor token for user_good's account with ``mask`` (every product linked)."""
    return processor_token(plaid, mask, products=PRODUCTS, **options)


def _to(plaid: PlaidClient, url: str) -> list[dict[str, Any]]:
    """The bodies queued to ``url``, oldest first."""
    return [e["body"] for e in queued_events(plaid) if e["url"] == url]


# -- /processor/token/permissions/set and /get ------------------------------------------------


def test_permissions_default_to_every_product_and_can_be_narrowed_and_restored(
    plaid: PlaidClient,
) -> None:
    _, _, token = _token(plaid)
    assert plaid.ok("/processor/token/permissions/get", processor_token=token)["products"] == []
    reply = plaid.ok(
        "/processor/token/permissions/set",
        processor_token=token,
        products=["auth", "balance", "auth", "identity"],
    )
    assert set(reply) == {"request_id"}
    got = plaid.ok("/processor/token/permissions/get", processor_token=token)
    assert got["products"] == ["auth", "balance", "identity"]
    assert not contract.openapi_errors("/processor/token/permissions/get", got)
    assert not contract.openapi_errors("/processor/token/permissions/set", reply)
    plaid.ok("/processor/token/permissions/set", processor_token=token, products=[])
    assert plaid.ok("/processor/token/permissions/get", processor_token=token)["products"] == []
    assert plaid.ok("/processor/identity/get", processor_token=token)["account"]["owners"]


def test_permissions_are_the_tokens_own(plaid: PlaidClient) -> None:
    """Two tokens of one account: narrowing one leaves the other reading everything."""
    access, account_id, token = _token(plaid)
    other = plaid.ok(
        "/processor/token/create", access_token=access, account_id=account_id, processor="moov"
    )["processor_token"]
    plaid.ok("/processor/token/permissions/set", processor_token=token, products=["auth"])
    assert plaid.error("/processor/balance/get", processor_token=token)["error_code"] == (
        "INVALID_PRODUCT"
    )
    assert plaid.ok("/processor/balance/get", processor_token=other)["account"]


# Every read, the account it needs (mask), its body, and the products that open it.
READS: list[tuple[str, str, dict[str, Any], tuple[str, ...]]] = [
    ("/processor/auth/get", "0000", {}, ("auth",)),
    ("/processor/balance/get", "0000", {}, ("balance",)),
    ("/processor/identity/get", "0000", {}, ("identity",)),
    (
        "/processor/identity/match",
        "0000",
        {"user": {"legal_name": "A"}},
        ("identity", "identity_match"),
    ),
    (
        "/processor/transactions/get",
        "0000",
        {"start_date": START, "end_date": END},
        ("transactions",),
    ),
    ("/processor/transactions/sync", "0000", {}, ("transactions",)),
    ("/processor/transactions/refresh", "0000", {}, ("transactions",)),
    ("/processor/transactions/recurring/get", "0000", {}, ("transactions",)),
    ("/processor/investments/holdings/get", "5555", {}, ("investments",)),
    ("/processor/investments/auth/get", "6666", {}, ("investments", "investments_auth")),
    (
        "/processor/investments/transactions/get",
        "5555",
        {"start_date": START, "end_date": END},
        ("investments",),
    ),
    ("/processor/liabilities/get", "3333", {}, ("liabilities",)),
    ("/processor/signal/prepare", "0000", {}, ("signal",)),
    (
        "/processor/signal/evaluate",
        "0000",
        {"client_transaction_id": "perm-1", "amount": 12.17},
        ("signal",),
    ),
]


@pytest.mark.parametrize(("path", "mask", "body", "opening"), READS)
def test_each_read_needs_one_of_its_products(
    plaid: PlaidClient, path: str, mask: str, body: dict[str, Any], opening: tuple[str, ...]
) -> None:
    _, _, token = _token(plaid, mask)
    others = [p for p in ("assets", "auth", "balance", "identity", "signal") if p not in opening]
    plaid.ok("/processor/token/permissions/set", processor_token=token, products=others)
    error = plaid.error(path, processor_token=token, **body)
    assert (error["error_type"], error["error_code"], error["http_status"]) == (
        "INVALID_INPUT",
        "INVALID_PRODUCT",
        400,
    )
    assert all(p in error["error_message"] for p in opening), error
    assert not contract.error_errors({k: v for k, v in error.items() if k != "http_status"})
    for product in opening:
        plaid.ok("/processor/token/permissions/set", processor_token=token, products=[product])
        plaid.ok(path, processor_token=token, **body)


def test_signal_reports_need_signal(plaid: PlaidClient) -> None:
    _, _, token = _token(plaid)
    debit = {"client_transaction_id": "perm-2"}
    plaid.ok("/processor/signal/evaluate", processor_token=token, amount=3.53, **debit)
    plaid.ok("/processor/token/permissions/set", processor_token=token, products=["auth"])
    for path, extra in (
        ("/processor/signal/decision/report", {"initiated": True}),
        ("/processor/signal/return/report", {"return_code": "R01"}),
    ):
        error = plaid.error(path, processor_token=token, **debit, **extra)
        assert error["error_code"] == "INVALID_PRODUCT"


def test_account_get_answers_whatever_the_permissions(plaid: PlaidClient) -> None:
    """The cached account is shown by every product, so no permission closes it."""
    _, account_id, token = _token(plaid)
    plaid.ok("/processor/token/permissions/set", processor_token=token, products=["assets"])
    account = plaid.ok("/processor/account/get", processor_token=token)["account"]
    assert account["account_id"] == account_id


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "MISSING_FIELDS", "products"),
        ({"products": ["auth", "nope"]}, "INVALID_FIELD", "products"),
        ({"products": "auth"}, "INVALID_FIELD", "products"),
        ({"products": [], "webhook": APP_HOOK}, "UNKNOWN_FIELDS", "webhook"),
    ],
)
def test_permissions_set_rejects_bad_input_naming_the_field(
    plaid: PlaidClient, body: dict[str, Any], code: str, field: str
) -> None:
    _, _, token = _token(plaid)
    error = plaid.error("/processor/token/permissions/set", processor_token=token, **body)
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", code)
    assert field in error["error_message"], error
    assert plaid.ok("/processor/token/permissions/get", processor_token=token)["products"] == []


SETTINGS = [
    ("/processor/token/permissions/set", {"products": ["auth"]}),
    ("/processor/token/permissions/get", {}),
    ("/processor/token/webhook/update", {"webhook": PARTNER_HOOK}),
]


@pytest.mark.parametrize(("path", "body"), SETTINGS)
def test_settings_refuse_missing_unknown_and_dead_tokens(
    plaid: PlaidClient, path: str, body: dict[str, Any]
) -> None:
    missing = plaid.error(path, **body)
    assert (
        missing["error_code"] == "MISSING_FIELDS"
        and "processor_token" in (missing["error_message"])
    )
    unknown = plaid.error(path, processor_token="processor-sandbox-nope", **body)
    assert (unknown["error_type"], unknown["error_code"]) == (
        "INVALID_INPUT",
        "INVALID_PROCESSOR_TOKEN",
    )
    access, _, token = _token(plaid)
    plaid.ok("/item/remove", access_token=access)
    assert plaid.error(path, processor_token=token, **body)["error_code"] == (
        "INVALID_PROCESSOR_TOKEN"
    )


# -- /processor/token/webhook/update ------------------------------------------------------------


def test_webhook_update_is_acknowledged_at_the_new_url(plaid: PlaidClient) -> None:
    _, account_id, token = _token(plaid, webhook=APP_HOOK)
    reply = plaid.ok("/processor/token/webhook/update", processor_token=token, webhook=PARTNER_HOOK)
    assert set(reply) == {"request_id"}
    assert not contract.openapi_errors("/processor/token/webhook/update", reply)
    (ack,) = _to(plaid, PARTNER_HOOK)
    assert list(ack.items()) == [
        ("webhook_type", "PROCESSOR_TOKEN"),
        ("webhook_code", "WEBHOOK_UPDATE_ACKNOWLEDGED"),
        ("account_id", account_id),
        ("new_webhook_url", PARTNER_HOOK),
        ("error", None),
        ("environment", "sandbox"),
    ]
    assert not contract.sdk_model_errors("ProcessorTokenWebhookUpdate", ack)
    assert not [b for b in _to(plaid, APP_HOOK) if b["webhook_type"] == "PROCESSOR_TOKEN"]


def test_webhook_update_to_null_queues_nothing(plaid: PlaidClient) -> None:
    _, _, token = _token(plaid)
    plaid.ok("/processor/token/webhook/update", processor_token=token, webhook=None)
    assert queued_events(plaid) == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "MISSING_FIELDS"),
        ({"webhook": "not a url"}, "INVALID_FIELD"),
        ({"webhook": "ftp://partner.test/hook"}, "INVALID_FIELD"),
        ({"webhook": "http://169.254.169.254/latest"}, "INVALID_FIELD"),
        ({"webhook": 7}, "INVALID_FIELD"),
    ],
)
def test_webhook_update_rejects_what_item_webhook_update_rejects(
    plaid: PlaidClient, body: dict[str, Any], code: str
) -> None:
    access, _, token = _token(plaid)
    error = plaid.error("/processor/token/webhook/update", processor_token=token, **body)
    assert (error["error_code"], "webhook" in error["error_message"]) == (code, True), error
    if "webhook" in body:
        item_error = plaid.error("/item/webhook/update", access_token=access, **body)
        assert item_error["error_code"] == code


# -- the item's Transactions webhooks, copied to the partner ----------------------------------


def _watching(plaid: PlaidClient, mask: str = "0000") -> tuple[str, str, str]:
    """An item with the app's webhook, a token on ``mask``, the partner's webhook set."""
    access, account_id, token = _token(plaid, mask, webhook=APP_HOOK)
    plaid.ok("/processor/token/webhook/update", processor_token=token, webhook=PARTNER_HOOK)
    return access, account_id, token


def _fire(plaid: PlaidClient, access: str, code: str) -> None:
    plaid.ok("/sandbox/item/fire_webhook", access_token=access, webhook_code=code)


@pytest.mark.parametrize(
    ("code", "model", "extra"),
    [
        (
            "SYNC_UPDATES_AVAILABLE",
            "ProcessorSyncUpdatesAvailableWebhook",
            {"initial_update_complete": True, "historical_update_complete": True},
        ),
        ("DEFAULT_UPDATE", "ProcessorDefaultUpdateWebhook", {"error": None, "new_transactions": 0}),
        ("RECURRING_TRANSACTIONS_UPDATE", "ProcessorRecurringTransactionsUpdateWebhook", {}),
    ],
)
def test_fired_transactions_webhook_reaches_the_partner_in_its_shape(
    plaid: PlaidClient, code: str, model: str, extra: dict[str, Any]
) -> None:
    access, account_id, _ = _watching(plaid)
    _fire(plaid, access, code)
    copy = _to(plaid, PARTNER_HOOK)[-1]
    assert copy == {
        "webhook_type": "TRANSACTIONS",
        "webhook_code": code,
        "account_id": account_id,
        **extra,
        "environment": "sandbox",
    }
    assert list(copy)[:3] == ["webhook_type", "webhook_code", "account_id"]
    assert not contract.sdk_model_errors(model, copy)
    original = _to(plaid, APP_HOOK)[-1]
    assert original["webhook_code"] == code and original["item_id"]


def test_fire_webhook_needs_only_the_partners_webhook(plaid: PlaidClient) -> None:
    access, _, token = _token(plaid)
    assert plaid.error(
        "/sandbox/item/fire_webhook", access_token=access, webhook_code="SYNC_UPDATES_AVAILABLE"
    )["error_code"] == ("SANDBOX_WEBHOOK_INVALID")
    plaid.ok("/processor/token/webhook/update", processor_token=token, webhook=PARTNER_HOOK)
    _fire(plaid, access, "SYNC_UPDATES_AVAILABLE")
    assert [e["url"] for e in queued_events(plaid)] == [PARTNER_HOOK, PARTNER_HOOK]
    assert plaid.error(
        "/sandbox/item/fire_webhook", access_token=access, webhook_code="LOGIN_REPAIRED"
    )["error_code"] == ("SANDBOX_WEBHOOK_INVALID")


def test_clock_advance_copies_the_accounts_own_changes(plaid: PlaidClient) -> None:
    _, account_id, token = _watching(plaid)
    cursor, more = "", True
    while more:
        page = plaid.ok("/processor/transactions/sync", processor_token=token, cursor=cursor)
        cursor, more = page["next_cursor"], page["has_more"]
    before = len(queued_events(plaid))
    advance_clock(plaid, 5)
    events = [
        e for e in queued_events(plaid)[before:] if e["body"]["webhook_type"] == "TRANSACTIONS"
    ]
    app = {e["body"]["webhook_code"]: e["body"] for e in events if e["url"] == APP_HOOK}
    partner = {e["body"]["webhook_code"]: e["body"] for e in events if e["url"] == PARTNER_HOOK}
    assert app["DEFAULT_UPDATE"]["new_transactions"] > 0
    added = plaid.ok("/processor/transactions/sync", processor_token=token, cursor=cursor)["added"]
    assert added and {t["account_id"] for t in added} == {account_id}
    assert partner["DEFAULT_UPDATE"] == {
        "webhook_type": "TRANSACTIONS",
        "webhook_code": "DEFAULT_UPDATE",
        "account_id": account_id,
        "error": None,
        "new_transactions": len(added),
        "environment": "sandbox",
    }
    assert partner["DEFAULT_UPDATE"]["new_transactions"] < app["DEFAULT_UPDATE"]["new_transactions"]
    assert partner["SYNC_UPDATES_AVAILABLE"]["account_id"] == account_id
    assert "item_id" not in json.dumps(list(partner.values()))


def test_a_partner_only_item_sends_historical_update_to_the_partner(plaid: PlaidClient) -> None:
    """A sandbox token at a bank without Auth links a Transactions item whose older history
    is held back; the partner sets its webhook, and its first read writes that history:
    ``HISTORICAL_UPDATE`` reaches the partner (the item has no webhook) with its account's
    total."""
    token = plaid.ok("/sandbox/processor_token/create", institution_id="ins_10")["processor_token"]
    plaid.ok("/processor/token/webhook/update", processor_token=token, webhook=PARTNER_HOOK)
    account_id = plaid.ok("/processor/account/get", processor_token=token)["account"]["account_id"]
    _, historical = _to(plaid, PARTNER_HOOK)
    total = plaid.ok(
        "/processor/transactions/get", processor_token=token, start_date=START, end_date=END
    )["total_transactions"]
    assert historical == {
        "webhook_type": "TRANSACTIONS",
        "webhook_code": "HISTORICAL_UPDATE",
        "account_id": account_id,
        "error": None,
        "new_transactions": total,
        "environment": "sandbox",
    }
    assert not contract.sdk_model_errors("ProcessorHistoricalUpdateWebhook", historical)
    assert [e["url"] for e in queued_events(plaid)] == [PARTNER_HOOK, PARTNER_HOOK]


def test_transactions_removed_names_only_the_accounts_ids(plaid: PlaidClient) -> None:
    access = plaid.link_item(
        products=("transactions",),
        webhook=APP_HOOK,
        override_username="user_transactions_dynamic",
        override_password="pass_good",
    )
    accounts = plaid.ok("/accounts/get", access_token=access)["accounts"]
    tokens = {}
    for account in accounts[:2]:
        token = plaid.ok(
            "/processor/token/create",
            access_token=access,
            account_id=account["account_id"],
            processor="dwolla",
        )["processor_token"]
        hook = f"{PARTNER_HOOK}/{account['mask']}"
        plaid.ok("/processor/token/webhook/update", processor_token=token, webhook=hook)
        tokens[account["account_id"]] = hook
    plaid.ok("/transactions/refresh", access_token=access)
    removed = [b for b in _to(plaid, APP_HOOK) if b["webhook_code"] == "TRANSACTIONS_REMOVED"]
    assert removed, "refresh of the dynamic user removes pending transactions"
    everything = set(removed[-1]["removed_transactions"])
    seen: set[str] = set()
    for account_id, hook in tokens.items():
        for body in _to(plaid, hook):
            if body["webhook_code"] == "TRANSACTIONS_REMOVED":
                assert body["account_id"] == account_id
                assert not contract.sdk_model_errors("ProcessorTransactionsRemovedWebhook", body)
                seen |= set(body["removed_transactions"])
    assert seen and seen <= everything


def test_no_copies_without_the_transactions_permission_or_after_null(plaid: PlaidClient) -> None:
    access, _, token = _watching(plaid)
    plaid.ok("/processor/token/permissions/set", processor_token=token, products=["auth"])
    _fire(plaid, access, "SYNC_UPDATES_AVAILABLE")
    assert len(_to(plaid, PARTNER_HOOK)) == 1  # the acknowledgement only
    plaid.ok("/processor/token/permissions/set", processor_token=token, products=[])
    _fire(plaid, access, "SYNC_UPDATES_AVAILABLE")
    assert len(_to(plaid, PARTNER_HOOK)) == 2
    plaid.ok("/processor/token/webhook/update", processor_token=token, webhook=None)
    _fire(plaid, access, "SYNC_UPDATES_AVAILABLE")
    assert len(_to(plaid, PARTNER_HOOK)) == 2
    fired = [b for b in _to(plaid, APP_HOOK) if b["webhook_code"] == "SYNC_UPDATES_AVAILABLE"]
    assert len(fired) == 3  # the app hears every one


def test_item_removal_ends_the_partners_webhooks(plaid: PlaidClient) -> None:
    access, _, token = _watching(plaid)
    plaid.ok("/item/remove", access_token=access)
    error = plaid.error("/processor/token/webhook/update", processor_token=token, webhook=None)
    assert error["error_code"] == "INVALID_PROCESSOR_TOKEN"
    assert plaid.error("/processor/transactions/sync", processor_token=token)["error_code"] == (
        "INVALID_PROCESSOR_TOKEN"
    )


# -- the item's Auth and Investments Transactions webhooks, copied to the partner ---------------


def _partners(plaid: PlaidClient, *masks: str) -> tuple[str, dict[str, tuple[str, str, str]]]:
    """An item with the app's webhook and a token with its own webhook on each of ``masks``:
    (access token, {mask: (account id, the partner's URL, the token)})."""
    access = plaid.link_item(products=PRODUCTS, webhook=APP_HOOK)
    accounts = plaid.ok("/accounts/get", access_token=access)["accounts"]
    found = {}
    for mask in masks:
        account_id = next(a["account_id"] for a in accounts if a["mask"] == mask)
        token = plaid.ok(
            "/processor/token/create", access_token=access, account_id=account_id, processor="moov"
        )["processor_token"]
        hook = f"{PARTNER_HOOK}/{mask}"
        plaid.ok("/processor/token/webhook/update", processor_token=token, webhook=hook)
        found[mask] = (account_id, hook, token)
    return access, found


def _copies(plaid: PlaidClient, hook: str) -> list[dict[str, Any]]:
    """What reached a partner's URL beyond its acknowledgement and the item's Transactions
    webhooks, oldest first."""
    return [
        b for b in _to(plaid, hook) if b["webhook_type"] not in ("PROCESSOR_TOKEN", "TRANSACTIONS")
    ]


def _fire_typed(plaid: PlaidClient, access: str, webhook_type: str) -> dict[str, Any]:
    return plaid.post(
        "/sandbox/item/fire_webhook",
        access_token=access,
        webhook_type=webhook_type,
        webhook_code="DEFAULT_UPDATE",
    )


def _as_item(body: dict[str, Any]) -> dict[str, Any]:
    """A partner's copy with ``item_id`` back in ``account_id``'s place: plaid-python has no
    processor model of these webhooks, so the copy is checked against the item's."""
    return {("item_id" if k == "account_id" else k): v for k, v in body.items()}


def test_fired_auth_update_reaches_only_the_partner_of_an_account_with_numbers(
    plaid: PlaidClient,
) -> None:
    """AUTH/DEFAULT_UPDATE's description sends its receiver to ``/processor/auth/get``: the
    partner of an account with numbers gets its share; the card's partner gets nothing."""
    access, partners = _partners(plaid, "0000", "3333")
    assert _fire_typed(plaid, access, "AUTH").status_code == 200
    checking, checking_hook, _ = partners["0000"]
    original = _to(plaid, APP_HOOK)[-1]
    assert original["webhook_type"] == "AUTH" and checking in original["account_ids_with_new_auth"]
    assert _copies(plaid, checking_hook) == [
        {
            "webhook_type": "AUTH",
            "webhook_code": "DEFAULT_UPDATE",
            "account_id": checking,
            "account_ids_with_new_auth": [checking],
            "account_ids_with_updated_auth": {},
            "error": None,
            "environment": "sandbox",
        }
    ]
    assert not contract.sdk_model_errors(
        "AuthDefaultUpdateWebhook", _as_item(_copies(plaid, checking_hook)[0])
    )
    assert _copies(plaid, partners["3333"][1]) == []


def test_fired_investments_update_reaches_only_an_investment_accounts_partner(
    plaid: PlaidClient,
) -> None:
    access, partners = _partners(plaid, "5555", "0000")
    assert _fire_typed(plaid, access, "INVESTMENTS_TRANSACTIONS").status_code == 200
    ira, ira_hook, _ = partners["5555"]
    assert _copies(plaid, ira_hook) == [
        {
            "webhook_type": "INVESTMENTS_TRANSACTIONS",
            "webhook_code": "DEFAULT_UPDATE",
            "account_id": ira,
            "error": None,
            "new_investments_transactions": 0,
            "cancelled_investments_transactions": 0,
            "environment": "sandbox",
        }
    ]
    assert not contract.sdk_model_errors(
        "InvestmentsDefaultUpdateWebhook", _as_item(_copies(plaid, ira_hook)[0])
    )
    assert _copies(plaid, partners["0000"][1]) == []


def test_the_clock_tells_each_investment_partner_its_accounts_new_trades(
    plaid: PlaidClient,
) -> None:
    """The daily look's Investments Transactions update reaches the partner of each account
    with new trades, counting that account's; Holdings updates stay the app's."""
    _, partners = _partners(plaid, "5555", "6666", "0000")
    advance_clock(plaid, 20)
    app = [b for b in _to(plaid, APP_HOOK) if b["webhook_type"] == "INVESTMENTS_TRANSACTIONS"]
    total = sum(b["new_investments_transactions"] for b in app)
    assert total > 0
    shares = 0
    for mask in ("5555", "6666"):
        account_id, hook, _ = partners[mask]
        copies = _copies(plaid, hook)
        assert copies and {(b["webhook_code"], b["account_id"]) for b in copies} == {
            ("DEFAULT_UPDATE", account_id)
        }
        assert all(b["new_investments_transactions"] > 0 for b in copies)
        shares += sum(b["new_investments_transactions"] for b in copies)
    assert shares == total
    assert _copies(plaid, partners["0000"][1]) == []


@pytest.mark.parametrize(("webhook_type", "mask"), [("HOLDINGS", "5555"), ("LIABILITIES", "3333")])
def test_holdings_and_liabilities_updates_stay_the_apps(
    plaid: PlaidClient, webhook_type: str, mask: str
) -> None:
    """Plaid documents neither for processor tokens: the partner of the very account gets
    nothing, and a partner's webhook alone is not one to fire them at."""
    access, partners = _partners(plaid, mask)
    assert _fire_typed(plaid, access, webhook_type).status_code == 200
    assert _to(plaid, APP_HOOK)[-1]["webhook_type"] == webhook_type
    assert _copies(plaid, partners[mask][1]) == []
    plaid.ok("/item/webhook/update", access_token=access, webhook=None)
    error = _fire_typed(plaid, access, webhook_type).get_json()
    assert error["error_code"] == "SANDBOX_WEBHOOK_INVALID"


def test_auth_and_investments_copies_follow_the_tokens_permissions(plaid: PlaidClient) -> None:
    """A partner hears a product's webhooks while its token may read the product; with no
    other receiver, fire_webhook then has none to fire at."""
    access, partners = _partners(plaid, "5555")
    plaid.ok("/item/webhook/update", access_token=access, webhook=None)
    _, hook, token = partners["5555"]
    plaid.ok("/processor/token/permissions/set", processor_token=token, products=["investments"])
    assert _fire_typed(plaid, access, "INVESTMENTS_TRANSACTIONS").status_code == 200
    assert _fire_typed(plaid, access, "AUTH").status_code == 400
    plaid.ok("/processor/token/permissions/set", processor_token=token, products=["auth"])
    assert _fire_typed(plaid, access, "INVESTMENTS_TRANSACTIONS").status_code == 400
    # It may read Auth, but its IRA has no account numbers: no share of the update, no receiver.
    refused = _fire_typed(plaid, access, "AUTH")
    assert refused.status_code == 400
    assert refused.get_json()["error_code"] == "SANDBOX_WEBHOOK_INVALID"
    assert [b["webhook_type"] for b in _copies(plaid, hook)] == ["INVESTMENTS_TRANSACTIONS"]
