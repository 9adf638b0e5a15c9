"""Run the webhook dispatcher: a daemon thread beside ``serve``, or the ``worker`` command.

Each loop opens its own session on the app's engine, delivers what is due, and sleeps
``poll`` seconds when there was nothing to do. All state is in the outbox, so any
number of loops in any number of processes can run; a restart loses nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .core.bank import load_pending_histories
from .core.webhooks.dispatch import Dispatcher
from .core.webhooks.egress import guarded_post
from .extensions import db

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0


def dispatcher_for(app: Flask) -> Dispatcher:
    """A dispatcher with the app's settings, posting only where the egress policy allows."""
    from .shared import egress_policy  # the shared-mode settings import Flask's app proxy

    return Dispatcher(
        post=guarded_post(egress_policy(app)),
        timeout=float(app.config["WEBHOOK_TIMEOUT_SECONDS"]),
        prepare=history_catch_up(app),
    )


def history_catch_up(app: Flask) -> Callable[[Session, int | None], int]:
    """A pass's first step: write held-back histories, so ``HISTORICAL_UPDATE`` goes out in
    the same pass even when nobody reads the item."""
    delay = dt.timedelta(seconds=app.config["HISTORICAL_DELAY_SECONDS"])
    return lambda session, tenant_id: load_pending_histories(session, delay, tenant_id)


def run(
    app: Flask,
    stop: threading.Event,
    *,
    dispatcher: Dispatcher | None = None,
    poll: float = POLL_SECONDS,
    heartbeat: Path | None = None,
) -> None:
    """Deliver until ``stop`` is set; a database hiccup is logged and retried next poll.

    ``heartbeat`` is touched after every pass that reached the database, so a health
    check can tell a working loop from a stuck or disconnected one by its age. Whatever
    ``dispatcher`` is given (tests pass quick retry settings), passes catch up histories first.
    """
    if dispatcher is None:
        dispatcher = dispatcher_for(app)
    else:
        dispatcher = replace(dispatcher, prepare=history_catch_up(app))
    with app.app_context():
        engine = db.engine
    while not stop.is_set():
        made = 0
        with Session(engine) as session:
            try:
                made = dispatcher.deliver_pending(session)
                if heartbeat is not None:
                    heartbeat.touch()
            except SQLAlchemyError:
                log.exception("webhook dispatcher: database error; retrying")
        if not made:
            stop.wait(poll)


def start(
    app: Flask,
    *,
    dispatcher: Dispatcher | None = None,
    poll: float = POLL_SECONDS,
    heartbeat: Path | None = None,
) -> tuple[threading.Thread, threading.Event]:
    """Start ``run`` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run,
        args=(app, stop),
        kwargs={"dispatcher": dispatcher, "poll": poll, "heartbeat": heartbeat},
        daemon=True,
        name="webhook-dispatcher",
    )
    thread.start()
    return thread, stop
