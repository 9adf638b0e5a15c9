"""Asset reports in the core: readiness, snapshots and determinism, without HTTP."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from sandbox.core import errors
from sandbox.core.bank import Bank
from sandbox.core.clock import Clock
from sandbox.core.models import WebhookEvent
from tests.unit.conftest import link

HOOK = "https://receiver.test/assets"


def _bank(bank: Bank, delay_seconds: int) -> Bank:
    """The same tenant with its clock frozen (now) and a build delay of ``delay_seconds``."""
    bank.set_clock(Clock(frozen_at=bank.now()))
    return Bank(bank.session, bank.tenant, historical_delay=dt.timedelta(seconds=delay_seconds))


def _assets_token(bank: Bank) -> str:
    token = link(bank)
    bank.item(token).products = sorted({*bank.item(token).products, "assets"})
    return token


def test_report_is_not_ready_until_it_is_built(bank: Bank) -> None:
    slow = _bank(bank, 60)
    report_token, _ = slow.assets.create([_assets_token(slow)], 30, {})
    with pytest.raises(errors.AssetReportNotReady):
        slow.assets.get(report_token)
    slow.set_clock(Clock(frozen_at=slow.now() + dt.timedelta(minutes=2)))
    assert slow.assets.get(report_token).items


@pytest.mark.parametrize("call", ["refresh", "filter", "audit_copy"])
def test_an_unbuilt_report_cannot_be_refreshed_filtered_or_copied(bank: Bank, call: str) -> None:
    slow = _bank(bank, 600)
    report_token, _ = slow.assets.create([_assets_token(slow)], 30, {})
    calls = {
        "refresh": lambda: slow.assets.refresh(report_token, None, None),
        "filter": lambda: slow.assets.filter(report_token, []),
        "audit_copy": lambda: slow.assets.create_audit_copy(report_token, "auditor"),
    }
    with pytest.raises(errors.AssetReportNotReady):
        calls[call]()


def test_a_filtered_report_is_ready_and_announced_at_once(bank: Bank) -> None:
    """Made from a built report, a filtered one is not built again: it reads at once and
    its ``PRODUCT_READY`` is not held back on the clock; a refreshed one is."""
    slow = _bank(bank, 60)
    report_token, _ = slow.assets.create([_assets_token(slow)], 30, {"webhook": HOOK})
    slow.set_clock(Clock(frozen_at=slow.now() + dt.timedelta(minutes=1)))
    filtered_token, filtered = slow.assets.filter(report_token, [])
    _, refreshed = slow.assets.refresh(report_token, None, None)
    assert slow.assets.get(filtered_token).record.report_id == filtered.report_id
    held = {
        json.loads(e.body)["asset_report_id"]: e.held_until
        for e in slow.session.scalars(select(WebhookEvent))
    }
    assert held[filtered.report_id] is None
    assert held[refreshed.report_id] == slow.now() + dt.timedelta(minutes=1)


def test_same_seed_and_clock_give_the_same_report(bank: Bank) -> None:
    quick = _bank(bank, 0)
    token = _assets_token(quick)

    def figures() -> list[tuple[object, ...]]:
        report_token, _ = quick.assets.create([token], 60, {})
        report = quick.assets.get(report_token)
        return [
            (a.account.id, a.current_minor, a.days_available, tuple(a.history),
             tuple(t.id for t in a.transactions))
            for section in report.items
            for a in section.accounts
        ]  # fmt: skip

    assert figures() == figures()


def test_pdf_bytes_are_the_same_for_the_same_report(bank: Bank) -> None:
    quick = _bank(bank, 0)
    report_token, _ = quick.assets.create([_assets_token(quick)], 10, {})
    report = quick.assets.get(report_token)
    first = quick.assets.pdf(report, {})
    assert first.startswith(b"%PDF-") and first == quick.assets.pdf(report, {})
