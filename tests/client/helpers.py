"""Test helpers: a scripted local HTTP server, webhook signing, ground-truth comparison."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, Response, request
from sqlalchemy import func, select
from werkzeug.serving import make_server

from client.store.db import Store
from client.store.models import MANUAL_SOURCE, Account, Transaction

Reply = tuple[int, dict[str, Any], dict[str, str]]


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve a WSGI app on a free port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def scripted_app(replies: list[Reply], seen: list[dict[str, Any]]) -> Flask:
    """A Plaid-like server answering every POST with the next scripted reply."""
    app = Flask("scripted")

    @app.post("/<path:path>")
    def any_path(path: str) -> Response:
        seen.append({"path": path, "headers": dict(request.headers), "json": request.get_json()})
        status, body, headers = replies.pop(0) if replies else (200, {"request_id": "x"}, {})
        return Response(
            json.dumps(body), status=status, headers=headers, mimetype="application/json"
        )

    return app


def plaid_error(error_type: str, code: str, status: int, **headers: str) -> Reply:
    """A scripted Plaid error reply."""
    return (
        status,
        {
            "error_type": error_type,
            "error_code": code,
            "error_message": code.lower(),
            "display_message": None,
            "request_id": "REQ" + code[:5],
        },
        headers,
    )


class Signer:
    """Signs webhooks like Plaid (ES256 JWT, body SHA-256) and serves the matching JWK."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.kid = str(uuid.uuid4())
        self.expired_at: int | None = None
        self.fetches = 0

    def jwk(self) -> dict[str, Any]:
        """The public key in Plaid's /webhook_verification_key/get shape."""
        nums = self.key.public_key().public_numbers()

        def b64(n: int) -> str:
            return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()

        return {
            "alg": "ES256",
            "crv": "P-256",
            "kty": "EC",
            "use": "sig",
            "kid": self.kid,
            "x": b64(nums.x),
            "y": b64(nums.y),
            "created_at": 1700000000,
            "expired_at": self.expired_at,
        }

    def sign(self, body: bytes, *, iat: float | None = None, kid: str | None = None) -> str:
        """The Plaid-Verification header value for exactly these bytes."""
        import jwt

        claims = {
            "iat": int(iat if iat is not None else time.time()),
            "request_body_sha256": hashlib.sha256(body).hexdigest(),
        }
        return jwt.encode(
            claims, self.key, algorithm="ES256", headers={"kid": kid or self.kid, "typ": "JWT"}
        )

    def key_app(self) -> Flask:
        """A tiny Plaid-compatible key endpoint."""
        app = Flask("keys")

        @app.post("/webhook_verification_key/get")
        def key_get() -> Response:
            self.fetches += 1
            if request.get_json()["key_id"] != self.kid:
                return Response(
                    json.dumps(
                        {
                            "error_type": "INVALID_INPUT",
                            "error_code": "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
                            "error_message": "invalid key_id provided",
                            "display_message": None,
                            "request_id": "k",
                        }
                    ),
                    status=400,
                    mimetype="application/json",
                )
            return Response(
                json.dumps({"key": self.jwk(), "request_id": "k"}), mimetype="application/json"
            )

        return app


def stored_transactions(store: Store, connection_id: int) -> list[tuple[str, str, str, bool]]:
    """(provider id, amount, date, pending) of a connection's live rows from the provider."""
    with store.session() as session:
        rows = session.execute(
            select(
                Transaction.provider_id, Transaction.amount, Transaction.date, Transaction.pending
            )
            .join(Account)
            .where(
                Account.connection_id == connection_id,
                Transaction.removed_at.is_(None),
                Transaction.source != MANUAL_SOURCE,
            )
        ).all()
    return [(p, f"{-a:.2f}", d.isoformat(), pend) for p, a, d, pend in rows]


def truth(raw: list[dict[str, Any]]) -> list[tuple[str, str, str, bool]]:
    """The same tuple shape from Plaid's /transactions/get JSON."""
    return [(t["transaction_id"], f"{t['amount']:.2f}", t["date"], t["pending"]) for t in raw]


def assert_store_matches(store: Store, connection_id: int, ground: list[dict[str, Any]]) -> None:
    """No duplicates, nothing lost, nothing extra, same amounts/dates/pending flags."""
    mine = stored_transactions(store, connection_id)
    assert len(mine) == len({m[0] for m in mine}), "duplicate provider ids"
    expected = truth(ground)
    assert sorted(mine) == sorted(expected)


def count_rows(store: Store, model: Any) -> int:
    """Row count of a table."""
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


Clock = Callable[[], float]
