"""``LiveSandbox``: a real HTTP server on a free port, in a thread of the test process.

Werkzeug's ``make_server`` binds port 0 and reports the port it got, so there is no
probing and no sleeping. The database is migrated like ``serve`` would do it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import create_app
from .bootstrap import ensure_default_tenant, upgrade_schema


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
        """An item created through ``/sandbox/public_token/create``; returns its access token."""
        public = self.call(
            "/sandbox/public_token/create",
            institution_id=institution_id,
            initial_products=list(products),
            options=options,
        )["public_token"]
        token: str = self.call("/item/public_token/exchange", public_token=public)["access_token"]
        return token


class QuietRequestHandler(WSGIRequestHandler):
    """Keeps test output readable: no access-log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the access log (errors are still logged by the app)."""


class LiveSandbox:
    """A threaded sandbox server; use as a context manager or call ``start``/``stop``."""

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        app: Flask | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.app = app or create_app(config)
        self.host = host
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.client_id = ""
        self.secret = ""

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        assert self._server is not None, "LiveSandbox is not started"
        return f"http://{self.host}:{self._server.port}"

    def start(self) -> LiveSandbox:
        """Prepare the database and start serving in a daemon thread."""
        upgrade_schema(self.app)
        keys = ensure_default_tenant(self.app)
        self.client_id, self.secret = keys.client_id, keys.secret
        self._server = make_server(
            self.host, 0, self.app, threaded=True, request_handler=QuietRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="live-sandbox"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def post(self, path: str, **body: Any) -> requests.Response:
        """POST a JSON body with the default tenant's keys in Plaid's headers."""
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
