"""`bank-client worker`: the worker loop in the foreground, with HTTP health and metrics."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

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
