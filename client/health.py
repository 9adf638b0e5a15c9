"""Health: a summary function and Prometheus exposition for connections and syncs."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from client.store.db import Store
from client.store.jobs import counts_by_status
from client.store.models import Connection, ConnectionStatus, SyncRun, utcnow

DURATION_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 300)
# A connection in one of these states is not healthy: the user or the operator has to act.
UNHEALTHY = (ConnectionStatus.LOGIN_REQUIRED, ConnectionStatus.ERROR)


def health(store: Store, now: dt.datetime | None = None) -> dict[str, Any]:
    """Connections by status, sync age, failures by code, durations, jobs: for dashboards and
    checks; `ok` is false while any connection needs the user (login) or has failed."""
    moment = now or utcnow()
    with store.session() as session:
        conns = session.scalars(select(Connection)).all()
        jobs = counts_by_status(session)
        failure_rows = session.execute(
            select(SyncRun.error_code, func.count())
            .where(SyncRun.error_code.is_not(None))
            .group_by(SyncRun.error_code)
        ).all()
        failures = {str(code): int(count) for code, count in failure_rows}
        durations = [
            d
            for d in session.scalars(select(SyncRun.duration).where(SyncRun.duration.is_not(None)))
            if d is not None
        ]
    by_status = Counter(c.status for c in conns)
    ages = {
        c.id: (moment - c.last_success_at).total_seconds()
        for c in conns
        if c.last_success_at is not None
    }
    return {
        "ok": not any(by_status[s] for s in UNHEALTHY),
        "attention": [
            {"id": c.id, "status": c.status, "error_code": c.last_error_code}
            for c in conns
            if c.status in UNHEALTHY
        ],
        "connections": {s: by_status[s] for s in ConnectionStatus.ALL},
        "jobs": jobs,
        "last_success_age_seconds": ages,
        "failures_by_code": failures,
        "sync_durations": durations,
    }


class BankCollector(Collector):
    """Reads the store on each scrape, so numbers are never stale."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        """Yield the metric families."""
        data = health(self.store)
        status = GaugeMetricFamily("bank_connections", "Connections by status", labels=["status"])
        for name, count in data["connections"].items():
            status.add_metric([name], count)
        yield status
        age = GaugeMetricFamily(
            "bank_last_success_age_seconds",
            "Seconds since the last successful sync",
            labels=["connection"],
        )
        for cid, seconds in data["last_success_age_seconds"].items():
            age.add_metric([str(cid)], seconds)
        yield age
        fails = GaugeMetricFamily(
            "bank_sync_failures", "Failed syncs by error code", labels=["code"]
        )
        for code, count in data["failures_by_code"].items():
            fails.add_metric([code], count)
        yield fails
        jobs = GaugeMetricFamily("bank_jobs", "Queued work by status", labels=["status"])
        for name, count in data["jobs"].items():
            jobs.add_metric([name], count)
        yield jobs
        ok = float(data["ok"])
        yield GaugeMetricFamily("bank_healthy", "1 when no connection needs attention", ok)
        yield _histogram(data["sync_durations"])


def _histogram(durations: list[float]) -> HistogramMetricFamily:
    """Sync durations as a Prometheus histogram."""
    buckets = [(str(b), sum(1 for d in durations if d <= b)) for b in DURATION_BUCKETS]
    buckets.append(("+Inf", len(durations)))
    hist = HistogramMetricFamily("bank_sync_duration_seconds", "Sync run durations")
    hist.add_metric([], buckets, sum_value=sum(durations))
    return hist


def metrics_text(store: Store, *extra: Collector) -> bytes:
    """The Prometheus text exposition of this store's metrics (plus `extra` collectors)."""
    registry = CollectorRegistry()
    for collector in (BankCollector(store), *extra):
        registry.register(collector)
    return generate_latest(registry)


def metrics_wsgi(store: Store) -> Any:
    """A WSGI app serving `/metrics` (mount it or run it with any WSGI server)."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")])
        return [metrics_text(store)]

    return app
