"""Security headers on pages and API replies, session cookie flags, and token-free logs."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder

from sandbox.security import RedactingRequestHandler, redact
from tests.conftest import PlaidClient


@pytest.mark.parametrize("path", ["/", "/dashboard/login", "/link?token=nope"])
def test_pages_send_a_script_free_csp_that_refuses_framing(app: Flask, path: str) -> None:
    reply = app.test_client().get(path, headers={"Accept": "text/html"})
    policy = reply.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy  # no page runs scripts, so none may run


def test_api_replies_send_nosniff_referrer_policy_and_csp(plaid: PlaidClient) -> None:
    reply = plaid.post("/categories/get")
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]


def test_api_replies_set_no_cookie_and_vary_on_none(plaid: PlaidClient) -> None:
    """A call that never touched the session skips saving it: no cookie, no ``Vary``."""
    reply = plaid.post("/categories/get")
    assert "Set-Cookie" not in reply.headers and "Vary" not in reply.headers


def test_a_page_that_read_the_session_varies_on_the_cookie(app: Flask) -> None:
    client = app.test_client()
    client.get("/dashboard/login")  # sets the session cookie
    assert "Cookie" in client.get("/dashboard/login").headers.get("Vary", "")


def _session_cookie(app: Flask, base_url: str) -> str:
    reply = app.test_client().get("/dashboard/login", base_url=base_url)
    return next(v for k, v in reply.headers.items() if k == "Set-Cookie" and "session=" in v)


def test_session_cookie_is_httponly_and_samesite_lax(app: Flask) -> None:
    cookie = _session_cookie(app, "http://localhost")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_over_https(app: Flask) -> None:
    assert "Secure" in _session_cookie(app, "https://localhost")


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("GET /link?token=link-sandbox-123&x=1 HTTP/1.1", "GET /link?token=REDACTED&x=1 HTTP/1.1"),
        (
            "GET /link/oauth-callback?code=c0de&state=s7 HTTP/1.1",
            "GET /link/oauth-callback?code=REDACTED&state=REDACTED HTTP/1.1",
        ),
        ("GET /dashboard?next=/x HTTP/1.1", "GET /dashboard?next=/x HTTP/1.1"),
        ("token=t0k", "token=REDACTED"),  # a bare query string, as gunicorn's ``%(q)s``
        ("/accounts/balance/get", "/accounts/balance/get"),
    ],
)
def test_redact_hides_tokens_in_request_lines(line: str, shown: str) -> None:
    assert redact(line) == shown


def test_werkzeug_access_log_line_has_no_link_token(caplog: pytest.LogCaptureFixture) -> None:
    handler: Any = RedactingRequestHandler.__new__(RedactingRequestHandler)
    handler.requestline = "GET /link?token=link-sandbox-abc HTTP/1.1"
    handler.command, handler.path = "GET", "/link?token=link-sandbox-abc"
    handler.request_version = "HTTP/1.1"
    handler.client_address, handler.server = ("127.0.0.1", 1), None
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        handler.log_request(200, 10)
    assert "link-sandbox-abc" not in caplog.text and "token=REDACTED" in caplog.text


def test_gunicorn_sees_a_redacted_environ_after_the_reply(app: Flask) -> None:
    """gunicorn formats its access line from the environ once the app has returned."""
    environ = EnvironBuilder("/link", query_string="token=link-sandbox-secret").get_environ()
    environ["RAW_URI"] = "/link?token=link-sandbox-secret"
    body = app.wsgi_app(environ, lambda status, headers, exc_info=None: None)
    assert b"".join(body)  # the app saw the real token (and answered its 404 page)
    assert environ["QUERY_STRING"] == "token=REDACTED"
    assert environ["RAW_URI"] == "/link?token=REDACTED"
