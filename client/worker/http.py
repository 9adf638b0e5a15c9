"""The worker's HTTP side: `/healthz` for orchestrators and `/metrics` for Prometheus."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from client.health import health, metrics_text
from client.worker.service import Worker

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class WorkerCollector(Collector):
    """The loop's own numbers: up, seconds since the last heartbeat, jobs run."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    def collect(self) -> Iterator[Metric]:
        """Yield the metric families."""
        state = self.worker.state
        yield GaugeMetricFamily("bank_worker_up", "1 while the loop is alive", self._up())
        if state.last_tick_at is not None:
            age = (self.worker.clock() - state.last_tick_at).total_seconds()
            yield GaugeMetricFamily("bank_worker_heartbeat_age_seconds", "Since last beat", age)
        yield CounterMetricFamily("bank_worker_jobs", "Jobs run by this worker", state.jobs_run)

    def _up(self) -> float:
        return 1.0 if self.worker.healthy() else 0.0


def make_app(worker: Worker) -> Any:
    """WSGI: `/healthz` is 200 while the loop is alive (503 if not), `/metrics` always."""
    collector = WorkerCollector(worker)

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            start_response("200 OK", [("Content-Type", PROMETHEUS_TYPE)])
            return [metrics_text(worker.bank.store, collector)]
        if path == "/healthz":
            alive = worker.healthy()
            body = {"ok": alive, "worker": _state(worker), "bank": health(worker.bank.store)}
            start_response("200 OK" if alive else "503 Service Unavailable", _json)
            return [json.dumps(body, default=str).encode()]
        start_response("404 Not Found", _json)
        return [b'{"error": "not found: try /healthz or /metrics"}']

    return app


_json = [("Content-Type", "application/json")]


def _state(worker: Worker) -> dict[str, Any]:
    state = worker.state
    return {
        "running": state.running,
        "ticks": state.ticks,
        "jobs_run": state.jobs_run,
        "last_tick_at": state.last_tick_at,
    }


class QuietHandler(WSGIRequestHandler):
    """Scrapes every few seconds would drown the worker's own log lines."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Not logged."""


def listen(host: str, port: int, app: Any, **options: Any) -> BaseWSGIServer:
    """A threaded werkzeug server on a socket bound here: a taken port or a bad host is an
    `OSError` naming the address (werkzeug prints two lines of its own and exits)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as sock:  # werkzeug serves a duplicate
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(128)
            return make_server(host, port, app, threaded=True, fd=sock.fileno(), **options)
    except OSError as exc:
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(worker: Worker, host: str, port: int) -> BaseWSGIServer:
    """Start the HTTP server in a thread; `server.port` is the real port (0 picks one)."""
    server = listen(host, port, make_app(worker), request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, name="bank-client-http", daemon=True).start()
    return server
