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

from .core.catch_up import finish_due_extractions, follow_running_clocks, load_pending_histories
from .core.webhooks.dispatch import Dispatcher
from .core.webhooks.egress import guarded_post
from .core.webhooks.rejections import PLAIDS_RULE
from .extensions import db
from .failures import one_line

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0


def dispatcher_for(app: Flask) -> Dispatcher:
    """A dispatcher with the app's settings, posting only where the egress policy allows,
    with Plaid's rejection rule unless ``WEBHOOK_REJECTION_RULE`` is ``off``."""
    from .shared import egress_policy  # the shared-mode settings import Flask's app proxy

    return Dispatcher(
        post=guarded_post(egress_policy(app)),
        timeout=float(app.config["WEBHOOK_TIMEOUT_SECONDS"]),
        prepare=history_catch_up(app),
        rejections=PLAIDS_RULE if app.config["WEBHOOK_REJECTION_RULE"] == "on" else None,
    )


def history_catch_up(app: Flask) -> Callable[[Session, int | None], int]:
    """A pass's first step: write held-back histories, end the Investments extractions the
    clock has passed, and bring along the items running clocks carried into a new day (or past
    a consent's notice...), so each webhook that follows goes out in the same pass even when
    nobody reads the item."""
    delay = dt.timedelta(seconds=app.config["HISTORICAL_DELAY_SECONDS"])
    return lambda session, tenant_id: (
        load_pending_histories(session, delay, tenant_id)
        + finish_due_extractions(session, delay, tenant_id)
        + follow_running_clocks(session, delay, tenant_id)
    )


class Heartbeat:
    """The file a health check reads the age of, touched after every pass that reached the
    database. A touch that fails is kept in ``failed``: the loops stop, and the ``worker``
    command exits non-zero rather than run on with a health check that can only fail."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.failed: str | None = None

    def beat(self) -> bool:
        """Touch the file; False (and ``failed`` says why) when it cannot be written."""
        try:
            self.path.touch()
        except OSError as exc:
            self.failed = f"cannot write the heartbeat file {self.path}: {exc.strerror or exc}"
            return False
        return True


def run(
    app: Flask,
    stop: threading.Event,
    *,
    dispatcher: Dispatcher | None = None,
    poll: float = POLL_SECONDS,
    heartbeat: Heartbeat | None = None,
) -> None:
    """Deliver until ``stop`` is set (a pass in progress ends after its attempt in hand); a
    database hiccup is logged (one line) and retried next poll, and a heartbeat that cannot be
    written stops the loop.

    Whatever ``dispatcher`` is given (tests pass quick retry settings), passes catch up
    histories first.
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
                made = dispatcher.deliver_pending(session, stop=stop)
            except SQLAlchemyError as exc:  # a restart or a dropped connection: no traceback
                log.warning("webhook dispatcher: %s; retrying in %ss", one_line(exc), poll)
                stop.wait(poll)
                continue
        if heartbeat is not None and not heartbeat.beat():
            log.error("webhook dispatcher: %s; stopping", heartbeat.failed)
            return
        if not made:
            stop.wait(poll)


def start(
    app: Flask,
    *,
    dispatcher: Dispatcher | None = None,
    poll: float = POLL_SECONDS,
    heartbeat: Heartbeat | None = None,
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
