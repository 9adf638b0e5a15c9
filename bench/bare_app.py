"""The baseline: a bare Flask app whose endpoints return fixed bytes from memory.

``bench_api`` captures real replies from the sandbox (``/accounts/balance/get``,
``/transactions/sync``), writes them to files and starts this app under the same gunicorn
settings with ``BENCH_REPLIES`` naming a JSON file of ``{path: reply file}``. The
difference between the two is the sandbox's own cost: authentication, the database, the
bank core and JSON rendering.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Response

BALANCE = "/accounts/balance/get"


def create_app(replies: bytes | Mapping[str, bytes]) -> Flask:
    """A Flask app answering ``POST`` on each path with its bytes (bytes alone: balance)."""
    app = Flask(__name__)
    table = {BALANCE: replies} if isinstance(replies, bytes) else dict(replies)

    def reply(body: bytes) -> Response:
        """The captured sandbox reply, byte for byte."""
        return Response(body, mimetype="application/json")

    for path, body in table.items():
        app.add_url_rule(path, path, lambda body=body: reply(body), methods=["POST"])
    return app


def _replies_from_environment() -> dict[str, bytes]:
    path = os.environ.get("BENCH_REPLIES")
    if not path:
        return {BALANCE: b'{"accounts": [], "request_id": "bare"}'}
    files: dict[str, str] = json.loads(Path(path).read_text())
    return {route: Path(file).read_bytes() for route, file in files.items()}


app = create_app(_replies_from_environment())
