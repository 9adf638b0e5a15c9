"""WSGI entry point for gunicorn: ``gunicorn sandbox.wsgi:app``.

The one module-level app, because a WSGI server imports one. Importing it builds the app
and checks, read-only, that the database is ready; it never migrates: the schema and the
default tenant are prepared beforehand, once, by ``python -m sandbox init-db``
(docker-compose.yml runs it before gunicorn), so several workers never race on
migrations. A database that is missing, empty or at another revision stops the server
with one line saying what to run, instead of serving a 500 to every call.
"""

from __future__ import annotations

import errno
import os
import select
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

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
    that second finds the claim too). A worker told to stop while it was importing (the
    arbiter is stopping already) says it but exits 0: any worker's status 4 crashes an
    arbiter that is stopping.
    """
    gunicorn = os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/")
    if gunicorn and not _first_to_refuse():
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        time.sleep(QUIET_EXIT_SECONDS)
        os._exit(0)
    print(f"Error: {problem}", file=sys.stderr)
    raise SystemExit(0 if gunicorn and _told_to_stop() else APP_LOAD_ERROR)


def _worker() -> Any:
    """This process's gunicorn worker, if it is one: gunicorn's SIGTERM handler is the
    worker's bound ``handle_exit``."""
    return getattr(signal.getsignal(signal.SIGTERM), "__self__", None)


def _told_to_stop() -> bool:
    """Whether gunicorn's arbiter has sent this worker SIGTERM (``handle_exit`` clears the
    worker's ``alive``)."""
    return getattr(_worker(), "alive", True) is False


def _first_to_refuse() -> bool:
    """Whether no other worker of this arbiter refused before: a claim on an abstract Unix
    socket named after the arbiter's pid and start time (containers sharing a network share
    these names, and their first processes all have pid 1), taken exclusively by binding it.
    The claim must outlast the worker (workers still importing, or started again, must find
    it), so a small process keeps it bound until the arbiter exits; being no file, it leaves
    nothing behind, even killed (a marker file was left in the temp folder by every refusal).
    Where there are no abstract sockets (not Linux), every worker says it; a worker whose
    arbiter is gone (its parent is no longer the pid gunicorn gave it) has nobody to say it
    to."""
    arbiter = getattr(_worker(), "ppid", None)
    if arbiter is None:
        return True
    if os.getppid() != arbiter:
        return False
    try:
        started = Path(f"/proc/{arbiter}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return True
    claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        claim.bind(f"\0bank-sandbox-refused-{arbiter}-{started}")
    except OSError as exc:
        claim.close()
        return exc.errno != errno.EADDRINUSE
    with claim:
        _hold_until_exit(claim, arbiter)
    return True


def _hold_until_exit(claim: socket.socket, arbiter: int) -> None:
    """Keep ``claim`` bound in a child process until ``arbiter`` exits. The child holds
    nothing else (no listening socket, no pipe of whoever started gunicorn), has its own
    session, so a Ctrl-C meant for gunicorn does not end it before the arbiter, and the
    default signal handlers, so ``kill`` ends it (gunicorn's only mark a worker to stop)."""
    try:
        watch = os.pidfd_open(arbiter)
    except (AttributeError, OSError):
        return  # no pidfd (Linux before 5.3), or the arbiter is gone: nothing to outlast
    if os.getppid() != arbiter:  # it died meanwhile: the pid may be another process's
        os.close(watch)
        return
    if os.fork() == 0:
        try:
            for number in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP):
                signal.signal(number, signal.SIG_DFL)
            os.setsid()
            keep = sorted((claim.fileno(), watch))
            os.closerange(0, keep[0])
            os.closerange(keep[0] + 1, keep[1])
            os.closerange(keep[1] + 1, os.sysconf("SC_OPEN_MAX"))
            select.select([watch], [], [])  # readable once the arbiter has exited
        finally:
            os._exit(0)
    os.close(watch)


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
