"""WSGI entry point for gunicorn: ``gunicorn sandbox.wsgi:app``.

The one module-level app, because a WSGI server imports one. Importing it builds the app
and checks, read-only, that the database is ready; it never migrates: the schema and the
default tenant are prepared beforehand, once, by ``python -m sandbox init-db``
(docker-compose.yml runs it before gunicorn), so several workers never race on
migrations. A database that is missing, empty or at another revision stops the server
with one line saying what to run, instead of serving a 500 to every call.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import NoReturn

from flask import Flask

from . import create_app
from .bootstrap import schema_problem
from .cli import start_failures
from .failures import one_line

# gunicorn's exit status for an app that failed to load: the master stops, instead of
# booting workers that fail the same way again.
APP_LOAD_ERROR = 4
# How long a worker that found the refusal said waits for the arbiter's SIGTERM.
QUIET_EXIT_SECONDS = 1.0


def refuse(problem: str) -> NoReturn:
    """Stop with one line and gunicorn's "App failed to load" status, said by one worker.

    Every gunicorn worker imports this module and meets the same problem. When two exit with
    status 4, gunicorn's arbiter, halting for the first, meets the second and dies with a
    traceback under the line. So the first worker of the arbiter to get here says it and
    exits; the others leave quietly (status 0) at the halting arbiter's SIGTERM, or after a
    second if it came while they were still importing (a worker the arbiter starts again in
    that second finds the marker too).
    """
    if os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/") and not _first_to_refuse():
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        time.sleep(QUIET_EXIT_SECONDS)
        os._exit(0)
    print(f"Error: {problem}", file=sys.stderr)
    raise SystemExit(APP_LOAD_ERROR)


def _first_to_refuse() -> bool:
    """Whether no other worker of this arbiter refused before: a marker created exclusively in
    the temp folder, named after the arbiter's pid and start time (a pid alone comes back, in
    a container every time). Without ``/proc`` every worker says it."""
    try:
        started = Path(f"/proc/{os.getppid()}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return True
    marker = Path(tempfile.gettempdir()) / f"bank-sandbox-refused-{os.getppid()}-{started}"
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    return True


def _load() -> Flask:
    """The app, once its settings and its database are known to serve; else ``refuse``.

    A bad setting, or a database that does not answer or is not one, was a traceback from
    every worker, and gunicorn's arbiter often crashed with one of its own.
    """
    try:
        app = create_app()
        problem = schema_problem(app)
    except start_failures() as exc:
        refuse(one_line(exc))
    if problem:
        refuse(problem)
    return app


app = _load()
