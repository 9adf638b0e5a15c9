"""Notification channels: email through a real local SMTP server, a signed outbound webhook,
fan-out that survives a failing channel, and re-auth reminders sent once per notice."""

from __future__ import annotations

import datetime as dt
import email
import json
import socket
import time
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask, Response, request

from client.notify import (
    SIGNATURE_HEADER,
    Attempt,
    CollectingNotifier,
    FanOut,
    Notification,
    SmtpNotifier,
    WebhookNotifier,
    advice_for,
    sign,
    verify,
)
from client.schedule.reminders import send_due_reminders
from client.store.db import Store
from client.store.models import Connection
from tests.client.helpers import serve


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on a free local port."""
    inbox = Inbox()
    # aiosmtpd probes its own port after starting, so it needs a concrete one, not 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_email_over_smtp_carries_advice_and_link(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    notifier = SmtpNotifier("127.0.0.1", port, "bank@example.test", "user@example.test")
    note = Notification(
        "login_required",
        3,
        "Sign in to First Platypus Bank again.",
        error_code="ITEM_LOGIN_REQUIRED",
        url="http://127.0.0.1:8000/link?token=link-sandbox-x",
    )
    notifier(note)
    (message,) = inbox.messages
    assert message["To"] == "user@example.test"
    assert message["Subject"] == "Your bank needs you to sign in again"
    text = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "What to do: The bank needs you to sign in again" in text
    assert "Open: http://127.0.0.1:8000/link?token=link-sandbox-x" in text


@pytest.mark.parametrize(
    "code", ["INSTITUTION_DOWN", "INSTITUTION_NOT_RESPONDING", "RATE_LIMIT_EXCEEDED", None]
)
def test_advice_fits_what_failed(code: str | None) -> None:
    """Only a sync is tried again by the schedule; a failed connect or change is the user's to
    try again, and a bank that is down can be swapped for another only when connecting."""
    assert "sync" in advice_for(code, Attempt.SYNC) or code is None
    assert advice_for(code) == advice_for(code, Attempt.SYNC)
    for attempt in (Attempt.CONNECT, Attempt.CHANGE):
        text = advice_for(code, attempt).lower()
        assert "try again" in text and "sync" not in text
    another = "another bank" in advice_for(code, Attempt.CONNECT)
    assert another == (code != "RATE_LIMIT_EXCEEDED")
    assert "another bank" not in advice_for(code, Attempt.CHANGE)


@pytest.mark.parametrize("attempt", [Attempt.SYNC, Attempt.CONNECT, Attempt.CHANGE])
def test_a_locked_account_is_unlocked_at_the_bank_then_signed_in_again(attempt: str) -> None:
    """Plaid: the user unlocks the account with the bank, then re-authenticates through Link's
    update mode. The advice was the default "try again later", which a lock never passes."""
    text = advice_for("ITEM_LOCKED", attempt)
    assert "unlock it at the bank" in text and "sign in again" in text
    assert "try again later" not in text.lower()


@pytest.mark.parametrize("code", ["INSTITUTION_DOWN", "RATE_LIMIT_EXCEEDED"])
def test_advice_for_a_paused_connection_does_not_wait_for_the_schedule(code: str) -> None:
    """A paused connection has no scheduled sync: the advice says to resume, not to wait."""
    text = advice_for(code, Attempt.SYNC, paused=True)
    assert "resume automatic syncs" in text and "scheduled" not in text
    assert "scheduled sync will retry" in advice_for(code, Attempt.SYNC)


def test_email_skipped_without_recipient(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    SmtpNotifier("127.0.0.1", port, "bank@example.test", lambda _n: None)(
        Notification("new_transactions", 1, "5 new transactions", 5)
    )
    assert inbox.messages == []


def test_outbound_webhook_is_hmac_signed() -> None:
    received: list[tuple[bytes, str]] = []
    app = Flask("app-hook")

    @app.post("/hook")
    def hook() -> Response:
        received.append((request.get_data(), request.headers[SIGNATURE_HEADER]))
        return Response("ok")

    with serve(app) as url:
        WebhookNotifier(url + "/hook", "whsec-test")(
            Notification("new_transactions", 7, "12 new transactions", 12)
        )
    ((body, header),) = received
    assert json.loads(body)["kind"] == "new_transactions" and json.loads(body)["count"] == 12
    assert verify("whsec-test", body, header)
    assert not verify("other-secret", body, header)
    assert not verify("whsec-test", body + b" ", header)
    stale = sign("whsec-test", body, int(time.time()) - 3600)
    assert not verify("whsec-test", body, stale)


def test_fan_out_survives_a_failing_channel() -> None:
    kept = CollectingNotifier()

    def broken(_note: Notification) -> None:
        raise ConnectionRefusedError("smtp down")

    FanOut([broken, kept])(Notification("sync_failed", 1, "failed", error_code="X"))
    assert [n.kind for n in kept.notes] == ["sync_failed"]


def test_reauth_reminders_before_consent_ends_once_per_notice(store: Store) -> None:
    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    with store.session() as s:
        conn = Connection(
            access_token_enc="x",
            settings={},
            institution_name="Royal Bank of Plaid",
            consent_expires_at=now + dt.timedelta(days=6),
        )
        s.add(conn)
        s.flush()
        cid = conn.id
    notes = CollectingNotifier()
    assert send_due_reminders(store, notes, now - dt.timedelta(days=2)) == 0  # 8 days out
    assert send_due_reminders(store, notes, now) == 1  # within the 7-day notice
    assert send_due_reminders(store, notes, now + dt.timedelta(hours=1)) == 0  # already sent
    assert send_due_reminders(store, notes, now + dt.timedelta(days=5, hours=13)) == 1  # 1 day
    assert send_due_reminders(store, notes, now + dt.timedelta(days=7)) == 0  # expired
    assert [n.kind for n in notes.notes] == ["reauth_reminder"] * 2
    assert all(n.connection_id == cid for n in notes.notes)
    assert "Royal Bank of Plaid" in notes.notes[0].message
    assert f"bank-client reconnect {cid}" in notes.notes[0].message


def test_a_truelayer_reminder_names_the_re_consent_not_bank_client_reconnect(
    store: Store,
) -> None:
    """A TrueLayer connection's reminder said `bank-client reconnect N`, which refuses it."""
    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    with store.session() as s:
        conn = Connection(
            provider="truelayer",
            access_token_enc="x",
            settings={},
            institution_name="Mock",
            consent_expires_at=now + dt.timedelta(days=6),
        )
        s.add(conn)
        s.flush()
        cid = conn.id
    notes = CollectingNotifier()
    assert send_due_reminders(store, notes, now) == 1
    message = notes.notes[0].message
    assert "Mock" in message and f"TrueLayerSync.reconsent({cid})" in message
    assert "bank-client reconnect" not in message
