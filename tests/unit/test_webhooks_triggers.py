"""Which webhooks real state changes queue (outbox rows, no delivery)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from sandbox.core import errors
from sandbox.core.bank import Bank
from sandbox.core.clock import Clock
from sandbox.core.models import ProcessorToken, WebhookEvent
from sandbox.core.webhooks import outbox as webhooks
from sandbox.core.webhooks import partners
from sandbox.core.webhooks.dispatch import Dispatcher
from tests.unit.conftest import link
from tests.unit.test_webhooks_dispatch import FakeReceiver

HOOK = "https://receiver.test/hook"


def queued(bank: Bank) -> list[tuple[str, dict[str, object]]]:
    rows = reversed(webhooks.events(bank.session, bank.tenant))
    return [(row.webhook_code, json.loads(row.body)) for row in rows]


def test_refresh_of_dynamic_item_queues_update_removed_and_sync_webhooks(bank: Bank) -> None:
    token = link(bank, username="user_transactions_dynamic", password="any")
    bank.item(token).webhook = HOOK
    bank.transactions.sync(token, None, 100)
    bank.transactions.refresh(token)
    found = dict(queued(bank))
    assert found["DEFAULT_UPDATE"]["new_transactions"]
    assert found["TRANSACTIONS_REMOVED"]["removed_transactions"]
    assert found["SYNC_UPDATES_AVAILABLE"]["historical_update_complete"] is True


def test_item_without_webhook_queues_nothing(bank: Bank) -> None:
    token = link(bank)
    bank.reset_login(token)
    assert queued(bank) == []


def test_reset_login_queues_item_error_with_status(bank: Bank) -> None:
    token = link(bank)
    bank.item(token).webhook = HOOK
    bank.reset_login(token)
    code, body = queued(bank)[-1]
    assert code == "ERROR"
    assert body["error"] == {**body["error"], "error_code": "ITEM_LOGIN_REQUIRED", "status": 400}  # type: ignore[dict-item]


def link_delayed(bank: Bank) -> tuple[Bank, str]:
    """A tenant's bank whose historical pull takes an hour, and an item linked with a webhook."""
    delayed = Bank(bank.session, bank.tenant, historical_delay=dt.timedelta(hours=1))
    public = delayed.sandbox_public_token("ins_109508", ["transactions"], webhook=HOOK)
    return delayed, delayed.exchange_public_token(public)[0]


def historical_update(bank: Bank) -> WebhookEvent:
    pending = webhooks.events(bank.session, bank.tenant, status="pending")
    return next(e for e in pending if e.webhook_code == "HISTORICAL_UPDATE")


def test_a_clock_jump_past_the_historical_delay_brings_historical_update_due_now(
    bank: Bank,
) -> None:
    """``/transactions/get`` answers once the tenant clock passes the delay; the webhook that
    says so must not wait out the delay in real time after the clock was moved past it."""
    bank.set_clock(Clock())  # running
    delayed, token = link_delayed(bank)
    delayed.load_history(delayed.item(token))
    historical = historical_update(delayed)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
    assert historical.next_attempt_at > later  # held back an hour of a running clock
    delayed.move_clock(advance=dt.timedelta(days=1))
    assert delayed.history_ready(delayed.item(token))
    assert historical.next_attempt_at <= dt.datetime.now(dt.UTC)


def test_history_written_after_the_clock_passed_the_delay_is_announced_at_once(
    bank: Bank,
) -> None:
    delayed, token = link_delayed(bank)
    delayed.move_clock(advance=dt.timedelta(days=1))
    delayed.load_history(delayed.item(token))
    assert historical_update(delayed).next_attempt_at <= dt.datetime.now(dt.UTC)


def test_on_a_frozen_clock_historical_update_waits_for_the_clock_as_transactions_get_does(
    bank: Bank,
) -> None:
    """The delay is tenant time: with the clock frozen, ``/transactions/get`` answers
    ``PRODUCT_NOT_READY`` however long one waits, so ``HISTORICAL_UPDATE`` must not go out after
    the delay in real time (it did, announcing a history the item still refused to serve); it
    goes out when the clock is moved to the moment the history becomes ready."""
    delayed, token = link_delayed(bank)
    delayed.load_history(delayed.item(token))
    receiver = FakeReceiver()
    send = Dispatcher(post=receiver)
    hours_later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)

    def sent() -> list[str]:
        send.deliver_pending(delayed.session, hours_later)
        return [call["body"]["webhook_code"] for call in receiver.calls]

    assert (sent(), delayed.history_ready(delayed.item(token))) == (["INITIAL_UPDATE"], False)
    delayed.move_clock(advance=dt.timedelta(minutes=59))
    assert (sent(), delayed.history_ready(delayed.item(token))) == (["INITIAL_UPDATE"], False)
    delayed.move_clock(advance=dt.timedelta(minutes=1))
    assert delayed.history_ready(delayed.item(token))
    assert sent() == ["INITIAL_UPDATE", "HISTORICAL_UPDATE"]


def test_a_reset_tenant_is_sent_nothing_about_what_it_forgot(bank: Bank) -> None:
    """``/control/reset`` between two tests: an Asset report's ``PRODUCT_READY`` still being
    built (about no item, so no cascade removed it) went out during the next test, naming a
    report that no longer exists."""
    delayed = Bank(bank.session, bank.tenant, historical_delay=dt.timedelta(hours=1))
    token = link(delayed)
    delayed.item(token).products = sorted({*delayed.item(token).products, "assets"})
    delayed.assets.create([token], 30, {"webhook": HOOK})
    assert [e.webhook_code for e in webhooks.events(bank.session, bank.tenant)] == ["PRODUCT_READY"]
    delayed.reset()
    assert webhooks.events(bank.session, bank.tenant) == []


def test_a_webhook_held_back_goes_to_the_url_the_item_has_when_it_is_sent(bank: Bank) -> None:
    """``HISTORICAL_UPDATE`` has not happened while it waits out the delay: an app that moves
    its receiver with ``/item/webhook/update`` meanwhile gets it at the new URL (it went to
    the old one), and one that clears the webhook gets none."""
    delayed, token = link_delayed(bank)
    delayed.load_history(delayed.item(token))
    delayed.update_webhook(token, "https://moved.test/hook")
    assert historical_update(delayed).url == "https://moved.test/hook"
    delayed.update_webhook(token, None)
    pending = webhooks.events(bank.session, bank.tenant, status="pending")
    assert "HISTORICAL_UPDATE" not in [e.webhook_code for e in pending]
    # kept in the delivery log, saying it was not sent (it had vanished from it)
    assert ("HISTORICAL_UPDATE", "cancelled") in statuses(bank)


def test_a_partners_held_back_copy_goes_to_the_partners_new_url(bank: Bank) -> None:
    token = link(bank)
    item = bank.item(token)
    partner = bank.processors.create(token, item.accounts[0].id, "dwolla")
    bank.processors.update_webhook(partner, "https://partner.test/old")
    row = bank.session.scalars(select(ProcessorToken)).one()
    facts = {"new_transactions": 3, "error": None}
    later = dt.timedelta(hours=1)
    partners.copy(
        bank.session,
        bank.tenant,
        item,
        row,
        "TRANSACTIONS",
        "HISTORICAL_UPDATE",
        facts,
        delay=later,
    )
    bank.processors.update_webhook(partner, "https://partner.test/new")
    assert historical_update(bank).url == "https://partner.test/new"


def statuses(bank: Bank) -> list[tuple[str, str]]:
    rows = reversed(webhooks.events(bank.session, bank.tenant))
    return [(row.webhook_code, row.status) for row in rows]


def test_removing_an_item_cancels_its_webhooks_not_sent_yet(bank: Bank) -> None:
    """``/item/remove`` while ``HISTORICAL_UPDATE`` waited out the historical delay (and a
    partner's copy, and an Asset report's ``PRODUCT_READY``): they all went out later, about an
    item that no longer existed. Plaid sends nothing about a removed item; the log keeps them,
    cancelled, and the one already delivered stays delivered."""
    delayed, token = link_delayed(bank)
    item = delayed.item(token)
    item.products = sorted({*item.products, "assets"})
    partner = delayed.processors.create(token, item.accounts[0].id, "dwolla")
    delayed.processors.update_webhook(partner, "https://partner.test/hook")
    receiver = FakeReceiver()
    Dispatcher(post=receiver).deliver_pending(bank.session)
    delayed.load_history(item)
    # due now, not sent yet: to the app and, a Transactions webhook, to the partner
    delayed.fire_webhook(token, "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE")
    delayed.assets.create([token], 30, {})
    assert ("HISTORICAL_UPDATE", "pending") in statuses(bank)

    delayed.remove_item(token)
    delayed.move_clock(advance=dt.timedelta(days=1))
    days_later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    Dispatcher(post=receiver).deliver_pending(bank.session, days_later)
    sent = [(call["url"], call["body"]["webhook_code"]) for call in receiver.calls]
    assert sent == [
        (HOOK, "INITIAL_UPDATE"),
        ("https://partner.test/hook", "WEBHOOK_UPDATE_ACKNOWLEDGED"),
    ]
    found = statuses(bank)
    delivered = [code for code, status in found if status == "delivered"]
    cancelled = {code for code, status in found if status == "cancelled"}
    assert delivered == ["INITIAL_UPDATE", "WEBHOOK_UPDATE_ACKNOWLEDGED"]
    assert cancelled == {"HISTORICAL_UPDATE", "SYNC_UPDATES_AVAILABLE", "PRODUCT_READY"}
    assert len(found) == len(delivered) + len([s for _, s in found if s == "cancelled"])
    not_sent = webhooks.events(bank.session, bank.tenant, status="cancelled")
    assert [e.url for e in not_sent if e.processor_token] == ["https://partner.test/hook"]


def test_a_cancelled_webhook_is_not_redelivered(bank: Bank) -> None:
    delayed, token = link_delayed(bank)
    delayed.load_history(delayed.item(token))
    delayed.remove_item(token)
    cancelled = webhooks.events(bank.session, bank.tenant, status="cancelled")[0]
    with pytest.raises(errors.InvalidField) as refused:
        webhooks.redeliver(bank.session, bank.tenant, cancelled.id)
    assert refused.value.detail["field"] == "event_id"
    assert cancelled.status == "cancelled"


def test_an_asset_reports_webhook_is_cancelled_with_the_last_of_its_items(bank: Bank) -> None:
    """A report over two items still has a live item to be about when one is removed; once
    both are, its ``PRODUCT_READY`` is about nothing that exists."""
    delayed = Bank(bank.session, bank.tenant, historical_delay=dt.timedelta(hours=1))
    tokens = [link(delayed), link(delayed, username="user_transactions_dynamic", password="x")]
    for token in tokens:
        delayed.item(token).products = sorted({*delayed.item(token).products, "assets"})
    delayed.assets.create(tokens, 30, {"webhook": HOOK})
    delayed.remove_item(tokens[0])
    assert statuses(bank) == [("PRODUCT_READY", "pending")]
    delayed.remove_item(tokens[1])
    assert statuses(bank) == [("PRODUCT_READY", "cancelled")]


def test_an_attempt_on_the_wire_when_its_item_is_removed_is_not_retried(bank: Bank) -> None:
    """The attempt in hand finishes and is logged as made; a failed one is not tried again
    (its item is gone) and the webhook stays cancelled rather than ``failed`` or pending."""
    token = link(bank)
    bank.update_webhook(token, HOOK)
    send = Dispatcher(post=FakeReceiver(500))
    claims = send.claim(bank.session, dt.datetime.now(dt.UTC))
    bank.remove_item(token)
    bank.session.commit()
    now = dt.datetime.now(dt.UTC)
    send.record(bank.session, claims[0], send.send(claims[0], now), now)
    event = webhooks.event(bank.session, bank.tenant, claims[0].event_id)
    assert (event.status, event.attempts, event.next_attempt) == ("cancelled", 1, None)
