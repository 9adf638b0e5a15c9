"""Plaid's rule, without HTTP: no retries to an endpoint that rejected over 90% of at least
10 attempts in the last 24 hours; first attempts and redeliveries still go out."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.core.bank import Bank
from sandbox.core.models import WebhookEvent
from sandbox.core.webhooks import outbox as webhooks
from sandbox.core.webhooks.dispatch import RETRY_DELAYS, Dispatcher
from sandbox.core.webhooks.rejections import PLAIDS_RULE, EndpointRecord, RejectionRule
from tests.unit.test_webhooks_dispatch import NOW, URL, FakeReceiver

OTHER_URL = "https://other.test/hook"
RETRY = dt.timedelta(seconds=30)


def dispatcher(receiver: FakeReceiver, rule: RejectionRule | None = PLAIDS_RULE) -> Dispatcher:
    return Dispatcher(retry_delays=(30, 30), jitter=lambda d: d, post=receiver, rejections=rule)


def queue(bank: Bank, count: int = 1, url: str = URL, at: dt.datetime = NOW) -> list[WebhookEvent]:
    """``count`` tenant-wide webhooks to ``url``, due at ``at`` (no item: no per-item order)."""
    events = []
    for n in range(count):
        event = webhooks.emit(
            bank.session, bank.tenant, None, "ITEM", "NEW_ACCOUNTS_AVAILABLE", {"n": n}, url=url
        )
        assert event is not None
        event.next_attempt_at = at
        events.append(event)
    bank.session.commit()
    return events


@pytest.mark.parametrize(
    ("sent", "rejected", "trips"),
    [(10, 10, True), (10, 9, False), (20, 19, True), (9, 9, False), (100, 91, True), (0, 0, False)],
)
def test_the_rule_trips_over_90_percent_of_at_least_10_attempts(
    sent: int, rejected: int, trips: bool
) -> None:
    assert RejectionRule().trips(EndpointRecord(sent, rejected)) is trips


def test_one_webhook_failing_its_whole_schedule_never_trips_the_rule() -> None:
    """Every attempt of a default schedule rejected is below the minimum."""
    attempts = len(RETRY_DELAYS) + 1
    assert not RejectionRule().trips(EndpointRecord(attempts, attempts))


def test_a_failure_past_the_threshold_is_not_retried(bank: Bank) -> None:
    events = queue(bank, 10)
    receiver = FakeReceiver(*[500] * 10)
    assert dispatcher(receiver).deliver_pending(bank.session, NOW) == 10
    # The first nine were below the minimum: retries scheduled. The tenth tripped the rule.
    assert [e.status for e in events] == ["pending"] * 9 + ["endpoint_failing"]
    assert events[-1].next_attempt is None


def test_retries_scheduled_before_the_rule_tripped_are_not_made(bank: Bank) -> None:
    events = queue(bank, 10)
    receiver = FakeReceiver(*[500] * 10)
    send = dispatcher(receiver)
    send.deliver_pending(bank.session, NOW)
    assert send.deliver_pending(bank.session, NOW + RETRY) == 0
    assert {e.status for e in events} == {"endpoint_failing"}
    assert len(receiver.calls) == 10


def test_first_attempts_still_go_out_and_are_not_retried_when_rejected(bank: Bank) -> None:
    queue(bank, 10)
    receiver = FakeReceiver(*[500] * 11)
    send = dispatcher(receiver)
    send.deliver_pending(bank.session, NOW)
    (late,) = queue(bank, at=NOW + dt.timedelta(seconds=1))
    assert send.deliver_pending(bank.session, NOW + dt.timedelta(seconds=1)) == 1
    assert (late.status, late.attempts) == ("endpoint_failing", 1)


def test_retries_resume_once_accepted_webhooks_bring_the_rate_to_90_percent(bank: Bank) -> None:
    queue(bank, 10)
    send = dispatcher(FakeReceiver(*[500] * 10, 200, 500))
    send.deliver_pending(bank.session, NOW)
    later = NOW + dt.timedelta(seconds=1)
    accepted, rejected = queue(bank, 2, at=later)
    send.deliver_pending(bank.session, later)
    # 11 of 12 rejected is still over 90%: the second new one is not retried.
    assert (accepted.status, rejected.status) == ("delivered", "endpoint_failing")

    recovered = dispatcher(FakeReceiver(200, 200, 500))
    *_accepted, failing = queue(bank, 3, at=later)
    recovered.deliver_pending(bank.session, later)
    # 12 of 15 rejected (80%): the failure is retried on schedule again.
    assert (failing.status, failing.next_attempt) == ("pending", later + RETRY)


def test_retries_resume_once_the_rejections_age_out_of_24_hours(bank: Bank) -> None:
    queue(bank, 10)
    send = dispatcher(FakeReceiver(*[500] * 11))
    send.deliver_pending(bank.session, NOW)
    send.deliver_pending(bank.session, NOW + RETRY)  # stops the nine retries
    day_later = NOW + dt.timedelta(hours=24, seconds=1)
    (event,) = queue(bank, at=day_later)
    send.deliver_pending(bank.session, day_later)
    assert (event.status, event.next_attempt) == ("pending", day_later + RETRY)


def test_the_rule_counts_per_url_so_another_endpoint_keeps_its_retries(bank: Bank) -> None:
    queue(bank, 10)
    send = dispatcher(FakeReceiver(*[500] * 11))
    send.deliver_pending(bank.session, NOW)
    (elsewhere,) = queue(bank, url=OTHER_URL, at=NOW + dt.timedelta(seconds=1))
    send.deliver_pending(bank.session, NOW + dt.timedelta(seconds=1))
    assert (elsewhere.status, elsewhere.attempts) == ("pending", 1)


def test_the_rule_counts_per_tenant(bank: Bank) -> None:
    from sandbox.core import tenants

    queue(bank, 10)
    send = dispatcher(FakeReceiver(*[500] * 11))
    send.deliver_pending(bank.session, NOW)
    other, _ = tenants.create(bank.session, "other", 8)
    (theirs,) = queue(Bank(bank.session, other), at=NOW + dt.timedelta(seconds=1))
    send.deliver_pending(bank.session, NOW + dt.timedelta(seconds=1))
    assert (theirs.status, theirs.attempts) == ("pending", 1)


def test_a_webhook_the_rule_stopped_can_be_redelivered_by_hand(bank: Bank) -> None:
    """A redelivery starts a fresh schedule: its first attempt goes out (a redelivery is
    due at the real time, so this test runs on it: the rejections are in the window)."""
    events = queue(bank, 10, at=dt.datetime.now(dt.UTC))
    send = dispatcher(FakeReceiver(*[500] * 10, 200))
    send.deliver_pending(bank.session)
    assert events[-1].status == "endpoint_failing"
    webhooks.redeliver(bank.session, bank.tenant, events[-1].id)
    assert events[-1].status == "pending"
    assert send.deliver_pending(bank.session, dt.datetime.now(dt.UTC), tenant_id=bank.tenant.id)
    assert (events[-1].status, events[-1].attempts) == ("delivered", 2)


def test_with_the_rule_off_every_failure_is_retried(bank: Bank) -> None:
    events = queue(bank, 10)
    receiver = FakeReceiver(*[500] * 20)
    send = dispatcher(receiver, rule=None)
    send.deliver_pending(bank.session, NOW)
    assert send.deliver_pending(bank.session, NOW + RETRY) == 10
    assert {e.status for e in events} == {"pending"}
