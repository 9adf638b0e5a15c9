"""Consent lifecycle over an advancing clock: expiry dates, warnings, then ITEM_LOGIN_REQUIRED."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from sandbox.core import errors
from sandbox.core.bank import Bank
from sandbox.core.models import Item, Transaction, WebhookEvent
from tests.conftest import FROZEN_NOW
from tests.unit.conftest import link

HOOK = "https://app.example/hooks"


def linked(bank: Bank, institution_id: str) -> tuple[str, Item]:
    token = link(bank, institution_id)
    item = bank.item(token)
    item.webhook = HOOK
    return token, item


def advance(bank: Bank, days: int) -> None:
    clock = bank.clock
    clock.advance(dt.timedelta(days=days))
    bank.set_clock(clock)


def codes(bank: Bank, item: Item) -> list[str]:
    rows = bank.session.scalars(select(WebhookEvent).where(WebhookEvent.item_pk == item.pk))
    return [r.webhook_code for r in rows if r.webhook_type == "ITEM"]


@pytest.mark.parametrize(
    ("institution_id", "days"), [("ins_117650", 90), ("ins_127287", 365), ("ins_109508", None)]
)
def test_item_consent_expiry_by_region(bank: Bank, institution_id: str, days: int | None) -> None:
    _, item = linked(bank, institution_id)
    expected = FROZEN_NOW + dt.timedelta(days=days) if days else None
    assert item.consent_expires_at == expected


def test_uk_consent_warns_then_expires_into_login_required(bank: Bank) -> None:
    token, item = linked(bank, "ins_117650")
    advance(bank, 80)
    assert codes(bank, item) == []
    advance(bank, 5)
    assert codes(bank, item) == ["PENDING_EXPIRATION"]
    advance(bank, 6)
    assert item.error_code == "ITEM_LOGIN_REQUIRED"
    assert codes(bank, item) == ["PENDING_EXPIRATION", "ERROR"]
    with pytest.raises(errors.LoginRequired):
        bank.accounts(token)


def test_us_oauth_consent_warns_with_pending_disconnect(bank: Bank) -> None:
    _, item = linked(bank, "ins_127287")
    advance(bank, 360)
    assert codes(bank, item) == ["PENDING_DISCONNECT"]
    body = json.loads(bank.session.scalars(select(WebhookEvent)).all()[-1].body)
    assert body["reason"] == "INSTITUTION_TOKEN_EXPIRATION"


def test_expired_consent_is_noticed_on_read_and_update_mode_renews_it(bank: Bank) -> None:
    token, item = linked(bank, "ins_117650")
    item.consent_expires_at = FROZEN_NOW - dt.timedelta(seconds=1)
    with pytest.raises(errors.LoginRequired):
        bank.item(token)
    assert bank.item(token, allow_error=True).error_code == "ITEM_LOGIN_REQUIRED"
    bank.repair_login(item)
    assert item.error_code is None
    assert item.consent_expires_at == FROZEN_NOW + dt.timedelta(days=90)


def test_renewed_consent_warns_again_before_its_new_expiry(bank: Bank) -> None:
    _, item = linked(bank, "ins_118923")
    advance(bank, 84)
    advance(bank, 8)
    assert codes(bank, item) == ["PENDING_EXPIRATION", "ERROR"]
    bank.repair_login(item)  # update mode: consent renewed for 90 days from now
    advance(bank, 86)
    assert codes(bank, item) == ["PENDING_EXPIRATION", "ERROR", "PENDING_EXPIRATION"]


def test_fired_pending_disconnect_does_not_stand_in_for_the_real_one(bank: Bank) -> None:
    token, item = linked(bank, "ins_127287")
    bank.fire_webhook(token, "ITEM", "PENDING_DISCONNECT")
    advance(bank, 360)
    assert codes(bank, item) == ["PENDING_DISCONNECT", "PENDING_DISCONNECT"]


def test_clock_advance_past_consent_end_writes_no_data_after_it(bank: Bank) -> None:
    _, item = linked(bank, "ins_117650")
    item.sync_called = True
    assert item.consent_expires_at is not None
    last_day = item.consent_expires_at.date()
    advance(bank, 92)  # past the 90-day consent in one move
    dates = bank.session.scalars(select(Transaction.date).where(Transaction.item_pk == item.pk))
    assert max(dates) <= last_day
    assert item.error_code == "ITEM_LOGIN_REQUIRED"
    events = bank.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
    assert events[-1].webhook_code == "ERROR"  # the data until the end came first


@pytest.mark.parametrize(
    ("institution_id", "days", "warning"),
    [("ins_117650", 91, "PENDING_EXPIRATION"), ("ins_127287", 366, "PENDING_DISCONNECT")],
)
def test_one_clock_move_past_the_consents_end_warns_before_the_error(
    bank: Bank, institution_id: str, days: int, warning: str
) -> None:
    """A move generates the days in between: the app hears the warning, then the ERROR, as it
    would have in real time (it heard only the ERROR, the warning's window jumped over)."""
    _, item = linked(bank, institution_id)
    advance(bank, days)
    assert codes(bank, item) == [warning, "ERROR"]
    advance(bank, 30)  # an ended consent warns no more
    assert codes(bank, item) == [warning, "ERROR"]
