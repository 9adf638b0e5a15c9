"""Before ``make test``: the services the suite uses are there, and the test database exists.

Reads the same variables as the tests (``TEST_POSTGRES_URL``, ``TEST_REDIS_URL``,
``SANDBOX_CHROMIUM``, ``SANDBOX_TEST_DATABASES``), creates the PostgreSQL test database
when the server answers but the database is missing, and otherwise names, one line each,
what is unreachable and which variable points at it. Exit status 1 if anything is missing.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.parse

import psycopg

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
CHROMIUM = os.environ.get("SANDBOX_CHROMIUM", "/usr/bin/chromium")


def reachable(url: str, default_port: int) -> bool:
    """Whether something listens at the URL's host and port."""
    parts = urllib.parse.urlsplit(url)
    try:
        address = (parts.hostname or "127.0.0.1", parts.port or default_port)
        socket.create_connection(address, timeout=3).close()
    except OSError:
        return False
    return True


def ensure_postgres_database() -> str | None:
    """Create the test database if it is missing; the problem, or None."""
    if not reachable(POSTGRES_URL, 5432):
        return f"PostgreSQL is not reachable at {POSTGRES_URL} (set TEST_POSTGRES_URL)"
    server, _, name = POSTGRES_URL.partition("?")[0].rpartition("/")
    try:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')
                print(f"created the test database {name}")
    except psycopg.Error as exc:
        return f"PostgreSQL at {POSTGRES_URL}: {str(exc).strip().splitlines()[0]}"
    return None


def problems() -> list[str]:
    """Everything the suite needs and does not have."""
    found: list[str] = []
    databases = os.environ.get("SANDBOX_TEST_DATABASES", "sqlite,postgresql")
    if "postgresql" in databases and (problem := ensure_postgres_database()):
        found.append(problem)
    if not reachable(REDIS_URL, 6379):
        found.append(f"Redis is not reachable at {REDIS_URL} (set TEST_REDIS_URL)")
    if not os.access(CHROMIUM, os.X_OK):
        found.append(f"no Chromium at {CHROMIUM} (install Debian's chromium, set SANDBOX_CHROMIUM)")
    return found


if __name__ == "__main__":
    missing = problems()
    for line in missing:
        print(line, file=sys.stderr)
    sys.exit(1 if missing else 0)
