"""How the dashboard words stored values: categories, delivery states, failed attempts."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.core.models import WebhookAttempt, WebhookEvent
from sandbox.web.dashboard.words import attempt_reason, category_label, delivery_state

NOW = dt.datetime(2026, 3, 16, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("detailed", "label"),
    [
        ("FOOD_AND_DRINK_COFFEE", "Food and drink · Coffee"),
        ("TRANSFER_IN_ACCOUNT_TRANSFER", "Transfer in · Account transfer"),
        ("INCOME_WAGES", "Income · Wages"),
        ("FOOD_AND_DRINK", "Food and drink"),
    ],
)
def test_category_label_reads_as_words(detailed: str, label: str) -> None:
    assert category_label(detailed) == label


def _event(status: str = "pending", attempts: int = 0, event_id: int = 7) -> WebhookEvent:
    return WebhookEvent(
        id=event_id,
        status=status,
        attempts=attempts,
        schedule_start=0,
        url="http://hooks.test:81/x",
    )


@pytest.mark.parametrize(
    ("event", "held", "paused", "state"),
    [
        (_event(), set(), False, "queued"),
        (_event(attempts=3), set(), False, "retrying"),
        (_event(attempts=3), {7}, False, "held"),
        (_event(), set(), True, "paused"),
        (_event("failed", 7), set(), False, "failed"),
        (_event("delivered", 1), {7}, True, "delivered"),
    ],
)
def test_delivery_state_tells_retrying_held_and_paused_apart(
    event: WebhookEvent, held: set[int], paused: bool, state: str
) -> None:
    assert delivery_state(event, held, paused) == state


@pytest.mark.parametrize(
    ("status", "error", "reason"),
    [
        (500, None, "the receiver answered 500 Internal Server Error"),
        (204, None, ""),
        (None, "timeout: ReadTimeout: read timed out", "no reply within the time limit"),
        (
            None,
            "connection error: ConnectionError: ('Connection aborted.', "
            "ConnectionRefusedError(111, 'Connection refused'))",
            "nothing accepted the connection at hooks.test:81",
        ),
        (
            None,
            'connection error: ConnectionError: NameResolutionError("Failed to resolve")',
            "the host name hooks.test:81 could not be resolved",
        ),
        (
            None,
            "connection error: OSError: odd",
            "the receiver could not be reached (hooks.test:81)",
        ),
    ],
)
def test_attempt_reason_is_a_sentence_not_exception_text(
    status: int | None, error: str | None, reason: str
) -> None:
    attempt = WebhookAttempt(started_at=NOW, status_code=status, latency_ms=3, error=error)
    attempt.event = _event()
    assert attempt_reason(attempt) == reason
