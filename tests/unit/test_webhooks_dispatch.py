"""Dispatcher without HTTP: order per item, retries on a bounded schedule, attempt log."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from collections.abc import Callable
from typing import Any

import jwt
import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.core.bank import Bank
from sandbox.core.models import WebhookAttempt, WebhookEvent
from sandbox.core.webhooks import outbox as webhooks
from sandbox.core.webhooks.dispatch import Dispatcher
from tests.unit.conftest import link

NOW = dt.datetime(2026, 3, 16, 15, 30, tzinfo=dt.UTC)
URL = "https://receiver.test/hook"


class FakeReceiver:
    """Stands in for ``requests.post``: answers with scripted statuses, records each call."""

    def __init__(self, *statuses: int | Exception) -> None:
        self.script = list(statuses)
        self.calls: list[dict[str, Any]] = []

    def __call__(
        self, url: str, *, data: bytes, headers: dict[str, str], timeout: float, stream: bool
    ) -> Any:
        self.calls.append({"url": url, "body": json.loads(data), "headers": headers})
        outcome = self.script.pop(0) if self.script else 200
        if isinstance(outcome, Exception):
            raise outcome
        response = requests.Response()
        response.status_code = outcome
        response.raw = io.BytesIO(b"thanks")  # read as the dispatcher streams it
        return response


def dispatcher(receiver: FakeReceiver) -> Dispatcher:
    """No jitter, a short schedule, and an injected transport."""
    return Dispatcher(retry_delays=(30, 120), jitter=lambda delay: delay, post=receiver)


def queue(bank: Bank, code: str = "DEFAULT_UPDATE", item: Any = None) -> WebhookEvent:
    event = webhooks.emit(
        bank.session, bank.tenant, item, "TRANSACTIONS", code, {"n": 1}, url=None if item else URL
    )
    assert event is not None
    event.next_attempt_at = NOW
    bank.session.commit()
    return event


def test_emit_without_url_queues_nothing(bank: Bank) -> None:
    assert webhooks.emit(bank.session, bank.tenant, None, "ITEM", "ERROR", {}) is None


def test_emit_body_is_plaid_indented_json_in_plaid_key_order(bank: Bank) -> None:
    event = queue(bank)
    assert event.body.startswith('{\n  "webhook_type": "TRANSACTIONS",\n  "webhook_code"')
    assert list(json.loads(event.body)) == ["webhook_type", "webhook_code", "n", "environment"]


def test_deliver_pending_success_marks_delivered_and_logs_attempt(bank: Bank) -> None:
    receiver = FakeReceiver(200)
    event = queue(bank)
    assert dispatcher(receiver).deliver_pending(bank.session, NOW) == 1
    assert event.status == "delivered"
    attempt = bank.session.scalars(select(WebhookAttempt)).one()
    assert (attempt.status_code, attempt.response_excerpt) == (200, "thanks")
    assert receiver.calls[0]["headers"]["Plaid-Verification"].count(".") == 2


def test_deliver_pending_500_retries_on_schedule_then_fails(bank: Bank) -> None:
    receiver = FakeReceiver(500, 500, 500)
    event = queue(bank)
    send = dispatcher(receiver)
    send.deliver_pending(bank.session, NOW)
    assert (event.status, event.next_attempt_at) == ("pending", NOW + dt.timedelta(seconds=30))
    assert send.deliver_pending(bank.session, NOW + dt.timedelta(seconds=29)) == 0
    send.deliver_pending(bank.session, NOW + dt.timedelta(seconds=30))
    assert event.next_attempt_at == NOW + dt.timedelta(seconds=150)
    send.deliver_pending(bank.session, NOW + dt.timedelta(seconds=150))
    assert (event.status, event.attempts, len(receiver.calls)) == ("failed", 3, 3)


def test_a_redelivery_is_one_more_attempt_and_a_delivered_event_expects_none(bank: Bank) -> None:
    """``attempts`` stayed at the redelivery's reset (1 beside a log of 2)."""
    event = queue(bank)
    send = dispatcher(FakeReceiver(200, 200))
    send.deliver_pending(bank.session, NOW)
    assert (event.status, event.attempts) == ("delivered", 1)
    webhooks.redeliver(bank.session, bank.tenant, event.id)
    assert (event.status, event.attempts, event.delivered_at) == ("pending", 1, None)
    send.deliver_pending(bank.session, dt.datetime.now(dt.UTC))
    assert (event.status, event.attempts, len(event.attempt_log)) == ("delivered", 2, 2)


def test_a_redelivery_of_a_failed_event_gets_a_fresh_retry_schedule(bank: Bank) -> None:
    event = queue(bank)
    send = dispatcher(FakeReceiver(500, 500, 500, 500))
    for offset in (0, 30, 150):
        send.deliver_pending(bank.session, NOW + dt.timedelta(seconds=offset))
    assert (event.status, event.attempts) == ("failed", 3)
    webhooks.redeliver(bank.session, bank.tenant, event.id)
    later = event.next_attempt_at
    send.deliver_pending(bank.session, later)
    assert (event.status, event.attempts) == ("pending", 4)  # the schedule's first retry
    assert event.next_attempt_at == later + dt.timedelta(seconds=30)


def test_deliver_pending_timeout_is_recorded_and_retried(bank: Bank) -> None:
    receiver = FakeReceiver(requests.ReadTimeout("too slow"), 200)
    event = queue(bank)
    send = dispatcher(receiver)
    send.deliver_pending(bank.session, NOW)
    send.deliver_pending(bank.session, NOW + dt.timedelta(seconds=30))
    errors = [a.error for a in bank.session.scalars(select(WebhookAttempt))]
    assert errors[0] is not None and errors[0].startswith("timeout")
    assert (event.status, errors[1]) == ("delivered", None)


def test_deliver_pending_later_event_waits_for_earlier_one_of_same_item(bank: Bank) -> None:
    item = bank.item(link(bank))
    item.webhook = URL
    first, second = queue(bank, "DEFAULT_UPDATE", item), queue(bank, "TRANSACTIONS_REMOVED", item)
    receiver = FakeReceiver(500, 200, 200)
    send = dispatcher(receiver)
    send.deliver_pending(bank.session, NOW)
    assert (first.status, second.status, len(receiver.calls)) == ("pending", "pending", 1)
    send.deliver_pending(bank.session, NOW + dt.timedelta(seconds=30))
    codes = [c["body"]["webhook_code"] for c in receiver.calls]
    assert codes == ["DEFAULT_UPDATE", "DEFAULT_UPDATE", "TRANSACTIONS_REMOVED"]
    assert (item.last_webhook_code, item.last_webhook_at) == ("TRANSACTIONS_REMOVED", bank.now())


def test_a_new_webhook_url_does_not_wait_for_retries_still_due_at_the_old_one(bank: Bank) -> None:
    """An app whose URL was wrong fixes it with ``/item/webhook/update``: the acknowledgement
    goes to the new URL now, not after the old URL's retries run out hours later."""
    token = link(bank)
    item = bank.item(token)
    item.webhook = URL
    stuck = queue(bank, "DEFAULT_UPDATE", item)
    bank.update_webhook(token, "https://fixed.test/hook")
    for event in webhooks.events(bank.session, bank.tenant):
        event.next_attempt_at = NOW
    bank.session.commit()
    receiver = FakeReceiver(500, 200)
    dispatcher(receiver).deliver_pending(bank.session, NOW)
    sent = [(c["url"], c["body"]["webhook_code"]) for c in receiver.calls]
    assert sent == [
        (URL, "DEFAULT_UPDATE"),
        ("https://fixed.test/hook", "WEBHOOK_UPDATE_ACKNOWLEDGED"),
    ]
    assert stuck.status == "pending"


def test_a_webhook_held_back_for_later_does_not_hold_back_what_happens_meanwhile(
    bank: Bank,
) -> None:
    """``HISTORICAL_UPDATE`` waits out ``SANDBOX_HISTORICAL_DELAY_SECONDS``; what happens to the
    item meanwhile (new transactions, a broken login) is told at once, not after the delay."""
    item = bank.item(link(bank))
    item.webhook = URL
    history = queue(bank, "HISTORICAL_UPDATE", item)
    history.held_until = bank.now() + dt.timedelta(minutes=10)  # of the tenant clock
    history.next_attempt_at = NOW + dt.timedelta(minutes=10)
    meanwhile = queue(bank, "DEFAULT_UPDATE", item)
    receiver = FakeReceiver()
    send = dispatcher(receiver)
    send.deliver_pending(bank.session, NOW)
    assert (meanwhile.status, history.status) == ("delivered", "pending")
    send.deliver_pending(bank.session, NOW + dt.timedelta(minutes=10))
    codes = [c["body"]["webhook_code"] for c in receiver.calls]
    assert codes == ["DEFAULT_UPDATE", "HISTORICAL_UPDATE"]


def test_a_partners_copy_neither_waits_for_the_app_nor_stamps_the_item(bank: Bank) -> None:
    """The app's failing receiver holds back the app's events only; the partner's copies keep
    their own order, and ``/item/get``'s last webhook stays the last one the app was sent."""
    token = link(bank)
    item = bank.item(token)
    item.webhook = URL
    account_id = item.accounts[0].id
    partner = bank.processors.create(token, account_id, "dwolla")
    bank.processors.update_webhook(partner, "https://partner.test/hook")
    bank.fire_webhook(token, "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE")
    for event in webhooks.events(bank.session, bank.tenant):
        event.next_attempt_at = NOW
    bank.session.commit()
    receiver = FakeReceiver(200, 500, 200)  # the app's SYNC_UPDATES_AVAILABLE fails
    dispatcher(receiver).deliver_pending(bank.session, NOW)
    sent = [(c["url"], c["body"]["webhook_code"]) for c in receiver.calls]
    assert sent == [
        ("https://partner.test/hook", "WEBHOOK_UPDATE_ACKNOWLEDGED"),
        (URL, "SYNC_UPDATES_AVAILABLE"),
        ("https://partner.test/hook", "SYNC_UPDATES_AVAILABLE"),
    ]
    assert receiver.calls[2]["body"]["account_id"] == account_id
    assert item.last_webhook_code is None  # the app has been sent nothing yet


def test_deliver_pending_paused_tenant_waits_until_resumed(bank: Bank) -> None:
    receiver = FakeReceiver()
    queue(bank)
    webhooks.set_paused(bank.session, bank.tenant, True)
    bank.session.commit()
    assert dispatcher(receiver).deliver_pending(bank.session, NOW) == 0
    webhooks.set_paused(bank.session, bank.tenant, False)
    assert dispatcher(receiver).deliver_pending(bank.session, NOW) == 1


def test_redeliver_resends_a_delivered_event_with_fresh_schedule(bank: Bank) -> None:
    receiver = FakeReceiver()
    event = queue(bank)
    dispatcher(receiver).deliver_pending(bank.session, NOW)
    webhooks.redeliver(bank.session, bank.tenant, event.id)
    bank.session.commit()
    dispatcher(receiver).deliver_pending(bank.session)
    assert (event.status, event.attempts, len(receiver.calls)) == ("delivered", 2, 2)


@pytest.mark.parametrize("delay", [30.0, 1920.0])
def test_full_jitter_stays_within_a_quarter_of_the_delay(delay: float) -> None:
    from sandbox.core.webhooks.dispatch import full_jitter

    assert all(0.75 * delay <= full_jitter(delay) <= 1.25 * delay for _ in range(50))


def test_claim_leases_event_so_a_second_dispatcher_skips_it(session: Session, bank: Bank) -> None:
    queue(bank)
    first = dispatcher(FakeReceiver()).claim(session, NOW)
    assert len(first) == 1
    assert dispatcher(FakeReceiver()).claim(session, NOW) == []


def test_an_attempt_cut_off_by_a_stopped_dispatcher_is_made_again_and_counted_once(
    bank: Bank,
) -> None:
    """A dispatcher stopped mid-batch (SIGTERM, a crash) records no outcome: after its lease
    the webhooks go out again (at least once), and ``attempts`` agrees with the attempt log
    (it had counted the cut-off attempt, and the unsent rest of the batch, without a line)."""
    events = [queue(bank), queue(bank)]
    send = dispatcher(FakeReceiver())
    assert len(send.claim(bank.session, NOW)) == 2  # claimed, then the process stopped
    send.deliver_pending(bank.session, NOW + 2 * send.claim_lease)
    logged = [(e.status, e.attempts, len(e.attempt_log)) for e in events]
    assert logged == [("delivered", 1, 1), ("delivered", 1, 1)]


def test_an_earlier_webhook_in_flight_holds_back_the_next_one_of_its_item(bank: Bank) -> None:
    """Per-item order while the first attempt is on the wire: another dispatcher passing then
    must not send the item's next webhook ahead of it."""
    item = bank.item(link(bank))
    item.webhook = URL
    first, _second = queue(bank, "DEFAULT_UPDATE", item), queue(bank, "TRANSACTIONS_REMOVED", item)
    one = Dispatcher(batch=1, post=FakeReceiver())
    assert [c.event_id for c in one.claim(bank.session, NOW)] == [first.id]
    assert one.claim(bank.session, NOW) == []


class SlowReceiver(FakeReceiver):
    """Takes ``seconds`` of the test's clock (its ``now``) to answer each webhook."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.clock = NOW
        self.seconds = dt.timedelta(seconds=seconds)
        self.meanwhile: Callable[[], object] = lambda: None  # runs while a reply is awaited

    def now(self) -> dt.datetime:
        return self.clock

    def __call__(
        self, url: str, *, data: bytes, headers: dict[str, str], timeout: float, stream: bool
    ) -> Any:
        response = super().__call__(url, data=data, headers=headers, timeout=timeout, stream=stream)
        self.calls[-1]["arrived"] = self.clock
        self.clock += self.seconds
        self.meanwhile()
        return response


def test_each_attempt_of_a_long_pass_is_signed_and_logged_when_it_is_made(bank: Bank) -> None:
    """Receivers refuse a JWT issued over 5 minutes ago: a pass through slow receivers must not
    sign its last webhooks with the time the pass began."""
    for _ in range(3):
        queue(bank)
    receiver = SlowReceiver(seconds=240)
    Dispatcher(post=receiver, clock=receiver.now).deliver_pending(bank.session)
    for call in receiver.calls:
        token = call["headers"]["Plaid-Verification"]
        issued = jwt.decode(token, options={"verify_signature": False})["iat"]
        assert issued == int(call["arrived"].timestamp())
    started = [a.started_at for a in bank.session.scalars(select(WebhookAttempt))]
    assert [s.replace(tzinfo=dt.UTC) for s in started] == [c["arrived"] for c in receiver.calls]


def test_a_second_dispatcher_does_not_resend_the_tail_of_a_batch_still_being_sent(
    bank: Bank,
) -> None:
    """A dispatcher sends its batch one event after another, each attempt taking up to the
    timeout; a second dispatcher passing meanwhile (another worker, or ``POST
    /control/webhooks/deliver`` beside the server's thread) must not send the tail again."""
    for _ in range(3):
        queue(bank)
    slow = SlowReceiver(seconds=9)  # each reply just within the 10 s timeout
    other = FakeReceiver()
    second = Dispatcher(timeout=10, post=other, clock=slow.now)
    slow.meanwhile = lambda: second.deliver_pending(bank.session)
    Dispatcher(timeout=10, post=slow, clock=slow.now).deliver_pending(bank.session)
    assert (len(slow.calls), other.calls) == (3, [])


class TricklingBody(io.RawIOBase):
    """A reply body that takes one second of the test's clock per byte, for half an hour."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.sent = 0

    def now(self) -> float:
        return self.seconds

    def read(self, size: int = -1) -> bytes:
        if self.sent >= 1800:
            return b""
        self.seconds += 1
        self.sent += 1
        return b"x"


def test_a_trickling_reply_body_holds_the_dispatcher_only_until_the_attempts_timeout(
    bank: Bank,
) -> None:
    """The body is only logged: reading it stops at the timeout, and the 200 still counts."""
    event = queue(bank)
    body = TricklingBody()
    receiver = FakeReceiver(200)

    def trickling(url: str, **kwargs: Any) -> Any:
        response = receiver(url, **kwargs)
        response.raw = body
        return response

    Dispatcher(timeout=10, post=trickling, monotonic=body.now).deliver_pending(bank.session, NOW)
    attempt = bank.session.scalars(select(WebhookAttempt)).one()
    assert (event.status, attempt.response_excerpt, body.sent) == ("delivered", "x" * 10, 10)


def test_a_stopping_dispatcher_ends_after_the_attempt_on_the_wire_and_releases_its_batch(
    bank: Bank,
) -> None:
    """``docker stop`` (SIGTERM) sets the worker's stop event: the pass ended only when nothing
    was due, outliving Docker's grace period, and a killed pass left the rest of its batch
    leased, each event's lease after the one before (minutes of delay after a restart). It now
    ends after the attempt in progress, and the batch's unsent events are due again at once."""
    events = [queue(bank) for _ in range(3)]
    stop = threading.Event()
    receiver = SlowReceiver(seconds=1)
    receiver.meanwhile = stop.set  # the signal arrives while the first reply is awaited
    send = Dispatcher(post=receiver, clock=receiver.now)
    assert send.deliver_pending(bank.session, stop=stop) == 1
    assert [e.status for e in events] == ["delivered", "pending", "pending"]
    assert all(e.next_attempt_at <= receiver.now() for e in events[1:])
    assert [e.attempts for e in events] == [1, 0, 0]
