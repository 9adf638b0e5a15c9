"""WSGI entry point for gunicorn: ``gunicorn sandbox.wsgi:app``.

The one module-level app, because a WSGI server imports one. Importing it builds the app
and checks, read-only, that the database is ready; it never migrates: the schema and the
default tenant are prepared beforehand, once, by ``python -m sandbox init-db``
(docker-compose.yml runs it before gunicorn), so several workers never race on
migrations. A database that is missing, empty or at another revision stops the server
with one line saying what to run, instead of serving a 500 to every call.
"""

from __future__ import annotations

import sys

from . import create_app
from .bootstrap import schema_problem

# gunicorn's exit status for an app that failed to load: the master stops, instead of
# booting workers that fail the same way again.
APP_LOAD_ERROR = 4

app = create_app()
if problem := schema_problem(app):
    print(f"Error: {problem}", file=sys.stderr)
    raise SystemExit(APP_LOAD_ERROR)
