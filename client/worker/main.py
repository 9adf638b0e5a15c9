"""`bank-client worker`: the worker loop in the foreground, with HTTP health and metrics; and
the stop on SIGTERM or SIGINT that `bank-client serve` shares with it."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from werkzeug.serving import BaseWSGIServer

from client.sync.connections import BankSync
from client.worker.http import serve
from client.worker.service import Worker

log = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def run_service(
    bank: BankSync,
    *,
    interval: float,
    host: str,
    port: int,
    ready: Callable[[str], None] = print,
) -> None:
    """Run until SIGTERM or SIGINT, then let the current job finish and stop cleanly."""
    worker = Worker(bank, interval=interval)
    server = serve(worker, host, port)
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: finishing the current job", signal.Signals(signum).name)
        stopping.set()
        worker.stop(timeout=0)

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    ready(f"worker running; health on http://{host}:{server.port}/healthz")
    try:
        worker.run()
    finally:
        server.shutdown()
        server.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    ready("worker stopped" + (" (signal)" if stopping.is_set() else ""))


def serve_until_signal(
    server: BaseWSGIServer, worker: Worker | None, ready: Callable[[str], None] = print
) -> None:
    """Serve an app (`bank-client serve`) until SIGTERM or SIGINT, then let its embedded
    worker finish the job in hand: SIGTERM used to kill the process mid-sync, leaving the
    run's history row "running"."""
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: finishing the current job", signal.Signals(signum).name)
        stopping.set()
        # `shutdown` waits for `serve_forever`, which this (the main) thread is running.
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    try:
        server.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if worker is not None:
            worker.stop(timeout=None)
    ready("bank-client app stopped" + (" (signal)" if stopping.is_set() else ""))
