"""WSGI entry point for gunicorn: ``gunicorn sandbox.wsgi:app``.

The one module-level app, because a WSGI server imports one. Importing it only builds
the app: the schema and the default tenant are prepared beforehand, once, by
``python -m sandbox init-db`` (docker-compose.yml runs it before gunicorn), so several
workers never race on migrations.
"""

from __future__ import annotations

from . import create_app

app = create_app()
