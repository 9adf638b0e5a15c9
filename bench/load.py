"""Closed-loop HTTP load: N connections each send the same POST back to back.

Two drivers with one result type. ``run_load`` is pure Python: N threads, each with a
``requests.Session``; it needs nothing installed but its own cost (the GIL, requests'
overhead) caps what it can measure on a small machine. ``run_wrk`` uses ``wrk`` (Debian
package ``wrk``) when it is on PATH, which is far cheaper per request. Either way the
same driver loads the sandbox and the baseline, so its cost weighs on both sides of a
ratio alike.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured."""

    requests: int
    errors: int
    seconds: float
    latencies: tuple[float, ...]  # seconds, successful requests only
    wrk: bool = False  # from wrk: ``latencies`` holds only (p50, p99)

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        """A latency percentile in seconds (``fraction`` 0.5 is the median)."""
        if self.wrk:
            return dict(zip((0.5, 0.99), self.latencies, strict=False)).get(fraction, 0.0)
        return percentile(self.latencies, fraction)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` by the nearest-rank method (0 if empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The median, 0 for no values."""
    return statistics.median(values) if values else 0.0


def run_load(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    threads: int,
    duration: float,
    warmup: float = 1.0,
    timeout: float = 10.0,
) -> LoadResult:
    """POST ``body`` to ``url`` from ``threads`` threads for ``duration`` seconds."""
    start = threading.Barrier(threads + 1)
    window: dict[str, float] = {}
    per_thread: list[tuple[int, int, list[float]]] = []
    lock = threading.Lock()
    all_headers = {"Content-Type": "application/json", **headers}

    def worker() -> None:
        session = requests.Session()
        latencies: list[float] = []
        sent = errors = 0
        start.wait()
        warm_until, stop_at = window["warm_until"], window["stop_at"]
        while (now := time.perf_counter()) < stop_at:
            try:
                ok = session.post(url, data=body, headers=all_headers, timeout=timeout).ok
            except requests.RequestException:
                ok = False
            done = time.perf_counter()
            if now < warm_until:
                continue
            sent += 1
            if ok:
                latencies.append(done - now)
            else:
                errors += 1
        session.close()
        with lock:
            per_thread.append((sent, errors, latencies))

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    window["warm_until"] = time.perf_counter() + warmup
    window["stop_at"] = window["warm_until"] + duration
    start.wait()
    for thread in pool:
        thread.join(duration + warmup + timeout + 5)
    return LoadResult(
        requests=sum(s for s, _, _ in per_thread),
        errors=sum(e for _, e, _ in per_thread),
        seconds=duration,
        latencies=tuple(x for _, _, lat in per_thread for x in lat),
    )


_WRK_LATENCY = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_WRK_TOTAL = re.compile(r"(\d+) requests in ([\d.]+)(us|ms|s|m)")
_WRK_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_WRK_SOCKET = re.compile(r"Socket errors: connect (\d+), read \d+, write (\d+), timeout (\d+)")
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def wrk_available() -> bool:
    """Whether the ``wrk`` load generator is on PATH."""
    return shutil.which("wrk") is not None


def run_wrk(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    threads: int,
    duration: float,
    warmup: float = 1.0,
    timeout: float = 10.0,
) -> LoadResult:
    """The same load as ``run_load`` from ``wrk``: ``threads`` connections, 2 wrk threads.

    wrk reports percentiles, not every latency, so the result carries just p50 and p99.
    """
    script = f"wrk.body = {_lua_string(body.decode())}"
    return run_wrk_script(
        url, script, headers, connections=threads, duration=duration, warmup=warmup, timeout=timeout
    )


def run_wrk_script(
    url: str,
    script: str,
    headers: Mapping[str, str],
    *,
    connections: int,
    duration: float,
    warmup: float = 1.0,
    timeout: float = 10.0,
) -> LoadResult:
    """wrk POSTing JSON with ``headers``; ``script`` (Lua) sets the body or a ``request``."""
    all_headers = {"Content-Type": "application/json", **headers}
    lines = ['wrk.method = "POST"', script]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in all_headers.items()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write("\n".join(lines))
    try:
        base = [
            "wrk",
            "-t",
            str(min(2, connections)),
            "-c",
            str(connections),
            "-s",
            handle.name,
            "--timeout",
            f"{timeout:g}s",
        ]
        if warmup > 0:
            subprocess.run(
                [*base, "-d", f"{max(1, round(warmup))}s", url], check=True, capture_output=True
            )
        out = subprocess.run(
            [*base, "-d", f"{max(1, round(duration))}s", "--latency", url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    return _parse_wrk(out)


def _parse_wrk(out: str) -> LoadResult:
    total = _WRK_TOTAL.search(out)
    if total is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    count, seconds = int(total.group(1)), float(total.group(2)) * _UNITS[total.group(3)]
    errors = sum(int(n) for n in _WRK_NON_2XX.findall(out))
    if socket := _WRK_SOCKET.search(out):
        errors += sum(int(n) for n in socket.groups())
    marks = {int(p): float(v) * _UNITS[u] for p, v, u in _WRK_LATENCY.findall(out)}
    latencies = (marks.get(50, 0.0), marks.get(99, 0.0)) if marks else ()
    return LoadResult(count, min(errors, count), seconds, latencies, wrk=True)


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
