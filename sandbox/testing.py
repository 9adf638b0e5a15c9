"""``LiveSandbox``: a real HTTP server on a free port, in a thread of the test process.

Werkzeug's ``make_server`` binds port 0 and reports the port it got, so there is no
probing and no sleeping. The database is migrated like ``serve`` would do it, and the
webhook dispatcher runs beside the server as under ``serve``. By default everything it
writes (SQLite file, keys, secret key) lives in a temporary directory it removes on stop.

The pytest plugin imports this module in every pytest run of a project that has the
package installed, so nothing heavy is imported at module level: Flask, SQLAlchemy and
the app load only when a ``LiveSandbox`` is built.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .config import sqlite_file

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from flask import Flask
    from requests import Response
    from sqlalchemy.engine import Engine
    from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

    from .core.webhooks.dispatch import Dispatcher

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
POLL_SECONDS = 1.0  # for retries and delayed events; a write request wakes it at once
STOP_POLL_SECONDS = 0.05  # how soon the server notices ``stop`` (socketserver's default: 0.5)
log = logging.getLogger(__name__)


class ItemLinker:
    """Test helpers for anything that can make a Plaid call and return its JSON (``call``)."""

    def call(self, path: str, **body: Any) -> dict[str, Any]:
        """POST ``body`` to ``path``; subclasses say how (HTTP, Flask test client)."""
        raise NotImplementedError

    def link_item(
        self,
        institution_id: str = "ins_109508",
        products: tuple[str, ...] = ("transactions",),
        **options: Any,
    ) -> str:
        """An item created through ``/sandbox/public_token/create``; returns its access token.

        ``options`` are that endpoint's ``options``: ``webhook``, ``override_username``,
        ``override_password``, ``transactions={"days_requested": 730}``.
        """
        public = self.call(
            "/sandbox/public_token/create",
            institution_id=institution_id,
            initial_products=list(products),
            options=options,
        )["public_token"]
        token: str = self.call("/item/public_token/exchange", public_token=public)["access_token"]
        return token


# The first new SQLite database this process prepared, as an image of the file, by head
# revision: a later one is that image written out, not 30-odd tables created again.
_SCHEMA_IMAGES: dict[str, bytes] = {}


def upgrade_schema(app: Flask) -> None:
    """Prepare ``app``'s database as ``serve`` does (``bootstrap.prepare_schema``).

    A SQLite file that does not exist yet gets a copy of the first empty database at the
    head revision that this process prepared: the same bytes ``prepare_schema`` would
    write, for a fraction of the time (most of a ``LiveSandbox`` start was creating them).
    """
    from .bootstrap import head_revision, prepare_schema

    path = _new_sqlite_file(app)
    head = head_revision(Path(app.extensions["migrate"].directory)) if path else None
    if path is None or head is None:
        prepare_schema(app)
        return
    image = _SCHEMA_IMAGES.get(head)
    if image is not None:
        path.write_bytes(image)
        return
    prepare_schema(app)
    import sqlite3  # here: the pytest plugin imports this module in every pytest run

    with closing(sqlite3.connect(path)) as connection:
        _SCHEMA_IMAGES[head] = connection.serialize()


def _new_sqlite_file(app: Flask) -> Path | None:
    """The file of ``app``'s SQLite database if it does not exist yet, else None."""
    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    file = sqlite_file(url)
    if file is None or file.startswith("file:") or url.query:
        return None  # in memory, another database, or a URI or driver options: SQLAlchemy's
    path = Path(file)
    return path if not path.exists() else None


class LiveSandbox:
    """A threaded sandbox server; use as a context manager or call ``start``/``stop``.

    ``config`` overrides the app's settings. Unset, ``DATABASE_URL`` is a SQLite file in a
    private temporary directory, and the keys and ``SECRET_KEY`` are made up for this
    server, so nothing is read from or written to an ``instance/`` folder. The webhook
    dispatcher runs unless ``WEBHOOK_DISPATCHER`` is ``"off"``.
    """

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        app: Flask | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self._workdir: weakref.finalize[[], LiveSandbox] | None = None
        self.host = host
        self.app = app or self._create_app(config or {})
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.dispatcher: WebhookDispatcher | None = None
        self.client_id = ""
        self.secret = ""

    def _create_app(self, config: Mapping[str, Any]) -> Flask:
        from . import create_app
        from .core.tenants import new_keys

        workdir = tempfile.mkdtemp(prefix="bank-sandbox-")
        # Removed on stop, or when this object is collected (a start that failed midway).
        self._workdir = weakref.finalize(
            self, functools.partial(shutil.rmtree, workdir, ignore_errors=True)
        )
        keys = new_keys()
        private = {
            "DATABASE_URL": f"sqlite:///{workdir}/sandbox.db",
            "SECRET_KEY": secrets.token_hex(32),
            "HOST": self.host,
            "CLIENT_ID": keys.client_id,
            "SECRET": keys.secret,
        }
        return create_app({**private, **config})

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        assert self._server is not None, "LiveSandbox is not started"
        return f"http://{self.host}:{self._server.port}"

    def start(self) -> LiveSandbox:
        """Prepare the database, start serving in a daemon thread, start the dispatcher."""
        from werkzeug.serving import make_server

        from .bootstrap import ensure_default_tenant

        upgrade_schema(self.app)
        keys = ensure_default_tenant(self.app)
        self.client_id, self.secret = keys.client_id, keys.secret
        self._server = make_server(
            self.host, 0, self._wsgi, threaded=True, request_handler=_quiet_handler()
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": STOP_POLL_SECONDS},
            daemon=True,
            name="live-sandbox",
        )
        self._thread.start()
        if self.app.config["WEBHOOK_DISPATCHER"] == "thread":
            self.dispatcher = WebhookDispatcher(self.app).start()
        return self

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The app, then a nudge to the dispatcher: a write may have queued a webhook."""
        try:
            return self.app(environ, start_response)
        finally:
            if self.dispatcher is not None and environ["REQUEST_METHOD"] not in READ_ONLY_METHODS:
                self.dispatcher.wake.set()

    def wait_for_webhooks(self, timeout: float = 10.0) -> None:
        """Block until every webhook due so far has been sent, whatever the receiver said."""
        assert self.dispatcher is not None, "this LiveSandbox runs no webhook dispatcher"
        self.dispatcher.settle(timeout)

    def stop(self) -> None:
        """Stop the dispatcher and the server, release the database and the port."""
        if self.dispatcher is not None:
            self.dispatcher.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server, self._thread, self.dispatcher = None, None, None
        self._release_database()

    def _release_database(self) -> None:
        from .extensions import db

        if "sqlalchemy" in self.app.extensions:
            with self.app.app_context():
                db.engine.dispose()
        if self._workdir is not None:
            self._workdir()

    def post(self, path: str, **body: Any) -> Response:
        """POST a JSON body with the default tenant's keys in Plaid's headers."""
        import requests

        return requests.post(
            f"{self.url}{path}",
            json=body,
            timeout=10,
            headers={"PLAID-CLIENT-ID": self.client_id, "PLAID-SECRET": self.secret},
        )

    def __enter__(self) -> LiveSandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class WebhookDispatcher:
    """The webhook outbox's delivery loop in a thread, woken by each write request.

    Like ``serve``'s dispatcher, plus ``settle``: tests can wait until everything due has
    gone out, the held-back history (and its ``HISTORICAL_UPDATE``) included.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._passes = threading.Condition()
        self._started = 0  # passes begun
        self._idle = 0  # the last pass that found nothing due
        self._thread = threading.Thread(target=self._run, daemon=True, name="webhook-dispatcher")

    def start(self) -> WebhookDispatcher:
        """Start delivering."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Finish the current attempt and stop."""
        self._stop.set()
        self.wake.set()
        self._thread.join(timeout=30)

    def settle(self, timeout: float) -> None:
        """Wait for a pass that began after this call and found nothing left to send."""
        with self._passes:
            target = self._started + 1
        self.wake.set()
        with self._passes:
            if not self._passes.wait_for(lambda: self._idle >= target, timeout):
                raise TimeoutError(f"webhooks still being delivered after {timeout} s")

    def _run(self) -> None:
        from .extensions import db
        from .worker import dispatcher_for

        dispatcher = dispatcher_for(self.app)
        with self.app.app_context():
            engine = db.engine
        while not self._stop.is_set():
            self.wake.clear()  # a request that commits from here on sets it again
            with self._passes:
                self._started += 1
                number = self._started
            made = self._deliver(dispatcher, engine, self._stop)
            if made == 0:
                with self._passes:
                    self._idle = number
                    self._passes.notify_all()
            if not made:
                self.wake.wait(POLL_SECONDS)

    @staticmethod
    def _deliver(dispatcher: Dispatcher, engine: Engine, stop: threading.Event) -> int | None:
        """One pass (ended early by ``stop``): attempts made, or None after a database error
        (logged, retried)."""
        from sqlalchemy.exc import SQLAlchemyError
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            try:
                return dispatcher.deliver_pending(session, stop=stop)
            except SQLAlchemyError:
                log.exception("webhook dispatcher: database error; retrying")
                return None


@functools.cache
def _quiet_handler() -> type[WSGIRequestHandler]:
    """A request handler without the access log, so test output stays readable."""
    from werkzeug.serving import WSGIRequestHandler

    class QuietRequestHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """Skip the access log (errors are still logged by the app)."""

    return QuietRequestHandler


@contextmanager
def private_schema(url: str, label: str = "session") -> Iterator[str]:
    """A fresh PostgreSQL schema in the database at ``url``, dropped on exit.

    Yields ``url`` with the schema as ``search_path``, so every table, the migrations'
    version table included, lives in it: parallel sessions (pytest-xdist workers) and
    earlier runs never see each other's rows, and nothing is left behind.
    """
    import psycopg

    name = f"bank_sandbox_{re.sub(r'[^a-z0-9]+', '_', label.lower())}_{secrets.token_hex(4)}"
    libpq_url = re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)
    with psycopg.connect(libpq_url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield _with_search_path(url, name)
    finally:
        with psycopg.connect(libpq_url, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{name}" CASCADE')


def _with_search_path(url: str, schema: str) -> str:
    """``url`` whose connections use ``schema`` first (libpq's ``options`` parameter)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    options = " ".join([v for k, v in query if k == "options"] + [f"-csearch_path={schema}"])
    query = [(k, v) for k, v in query if k != "options"] + [("options", options)]
    return urlunsplit(parts._replace(query=urlencode(query)))
