"""The baseline: a bare Flask app whose one endpoint returns fixed bytes from memory.

``bench_api`` captures a real ``/accounts/balance/get`` reply from the sandbox, writes
it to a file and starts this app under the same gunicorn settings with
``BENCH_BODY_FILE`` pointing at it. The difference between the two is the sandbox's
own cost: authentication, the database, the bank core and JSON rendering.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response


def create_app(body: bytes) -> Flask:
    """A Flask app answering ``POST /accounts/balance/get`` with ``body``."""
    app = Flask(__name__)

    @app.post("/accounts/balance/get")
    def accounts_balance_get() -> Response:
        """The captured sandbox reply, byte for byte."""
        return Response(body, mimetype="application/json")

    return app


def _body_from_environment() -> bytes:
    path = os.environ.get("BENCH_BODY_FILE")
    return Path(path).read_bytes() if path else b'{"accounts": [], "request_id": "bare"}'


app = create_app(_body_from_environment())
