"""Response hardening for every page and API reply, cookie flags, and token-free access logs.

* Headers: a Content-Security-Policy without scripts that refuses framing,
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` (Link URLs carry
  the link token) and ``X-Frame-Options`` for old browsers. A page that needs a script
  (TrueLayer's ``form_post`` page submits its form) renders it with ``inline_script``;
  that page's policy then allows exactly that script, by its SHA-256, and no other.
  A page that Link JS embeds in an app's page (``allow_framing``) lets exactly that app's
  origin frame it, and sends no ``X-Frame-Options``.
* The session cookie: ``HttpOnly`` and ``SameSite=Lax`` always, ``Secure`` whenever the
  request came over HTTPS (directly or as ``X-Forwarded-Proto`` behind ``ProxyFix``).
* Access logs: werkzeug's request line and gunicorn's ``%(r)s``/``%(q)s`` atoms show
  query strings; tokens in them (``/link?token=…``, ``/link/oauth-callback?code=…``)
  are replaced by ``REDACTED`` before any line is written.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from markupsafe import Markup
from werkzeug.serving import WSGIRequestHandler

PAGE_POLICY = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; frame-ancestors 'none'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# The request's allowed inline scripts ('sha256-…' sources), kept in the WSGI environ: it
# lives exactly as long as the request (``g`` outlives it where a test holds the app context).
SCRIPT_HASHES = "sandbox.script_hashes"
# The origins allowed to frame this request's page (``allow_framing``), kept the same way.
FRAMERS = "sandbox.framers"
SECRET_PARAMS = (
    "token",
    "link_token",
    "public_token",
    "access_token",
    "refresh_token",
    "code",
    "code_verifier",
    "state",
    "secret",
    "client_secret",
)
_SECRET_QUERY = re.compile(rf"(?:(?<=[?&;])|^)((?:{'|'.join(SECRET_PARAMS)})=)[^&;\s\"]*")


def redact(text: str) -> str:
    """``text`` (a request line or query string) with secret query values replaced."""
    if "=" not in text:  # no ``name=value`` to redact: most API paths, at every call
        return text
    return _SECRET_QUERY.sub(r"\1REDACTED", text)


class HardenedSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked ``Secure`` on HTTPS requests even if not configured."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """``SESSION_COOKIE_SECURE``, or the request's own scheme."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session when the request has no cookie (API calls never do): building
        the cookie signer for nothing cost 3% of a balance call's CPU, and parsing an
        absent ``Cookie`` header another 2%."""
        if app.secret_key and (
            "HTTP_COOKIE" not in request.environ
            or not request.cookies.get(self.get_cookie_name(app))
        ):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Nothing for a session nobody touched (every API call's): Flask's own method
        reads the cookie settings before finding that it has nothing to set or vary."""
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)


class RedactingRequestHandler(WSGIRequestHandler):
    """werkzeug's access log without tokens in query strings (``serve``)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log the request line with secret query values redacted (werkzeug logs ``path``)."""
        path, line = self.path, self.requestline
        self.path, self.requestline = redact(path), redact(line)
        try:
            super().log_request(code, size)
        finally:
            self.path, self.requestline = path, line


def install(app: Flask) -> None:
    """Headers on every reply, cookie flags, and a log-safe environ for gunicorn."""
    app.config["SESSION_COOKIE_SAMESITE"] = app.config["SESSION_COOKIE_SAMESITE"] or "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.session_interface = HardenedSessionInterface()
    app.add_template_global(inline_script)
    app.after_request(security_headers)
    app.wsgi_app = redacting_environ(app.wsgi_app)  # type: ignore[method-assign,assignment]


def _hardening(policy: str) -> tuple[tuple[str, str, str], ...]:
    """The headers, each with its name in lower case (looked for among the reply's)."""
    headers = (
        ("Content-Security-Policy", policy),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
    )
    return tuple((name.lower(), name, value) for name, value in headers)


PAGE_HEADERS, API_HEADERS = _hardening(PAGE_POLICY), _hardening(API_POLICY)


def inline_script(source: str) -> Markup:
    """``<script>source</script>`` for a template, allowed by this page's CSP through the
    script's SHA-256 (the policy of every other page keeps running no script at all).
    ``source`` is the template's own text, never data: it is not escaped."""
    digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
    request.environ.setdefault(SCRIPT_HASHES, []).append(f"'sha256-{digest}'")
    return Markup(f"<script>{source}</script>")


def allow_framing(origins: Iterable[str]) -> None:
    """Let pages of ``origins`` (serialized origins, checked by the caller) frame this
    request's page: Link JS shows Link's panes in an iframe on the app's page."""
    request.environ.setdefault(FRAMERS, set()).update(origins)


def _page_headers(
    hashes: list[str] | None, framers: set[str] | None
) -> tuple[tuple[str, str, str], ...]:
    """A page's headers: with a ``script-src`` of its inline scripts' hashes, and with
    ``frame-ancestors`` naming the origins that may frame it (then no ``X-Frame-Options``,
    which can only deny)."""
    policy = PAGE_POLICY
    if framers:
        policy = policy.replace(
            "frame-ancestors 'none'", f"frame-ancestors {' '.join(sorted(framers))}"
        )
    if hashes:
        policy = f"{policy}; script-src {' '.join(hashes)}"
    chosen = _hardening(policy)
    return tuple(h for h in chosen if not (framers and h[0] == "x-frame-options"))


def security_headers(response: Response) -> Response:
    """The same hardening headers on pages and API replies (pages also get a style policy,
    a page that rendered ``inline_script`` a ``script-src`` of those scripts' hashes, and a
    page Link JS embeds the app's origin in ``frame-ancestors``); a header the view set
    itself stays. One pass over the reply's headers, where a ``setdefault`` each scanned
    them four times (a fiftieth of a balance call)."""
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    page = response.mimetype == "text/html"
    hashes = request.environ.get(SCRIPT_HASHES) if page else None
    framers = request.environ.get(FRAMERS) if page else None
    chosen = PAGE_HEADERS if page else API_HEADERS
    if hashes or framers:
        chosen = _page_headers(hashes, framers)
    for lower, name, value in chosen:
        if lower not in present:
            headers.add(name, value)
    return response


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def redacting_environ(wsgi_app: WSGIApp) -> WSGIApp:
    """Once the app has answered, redact the query in the environ gunicorn logs from."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        result = wsgi_app(environ, start_response)
        for key in ("QUERY_STRING", "RAW_URI", "REQUEST_URI"):
            if environ.get(key):
                environ[key] = redact(str(environ[key]))
        return result

    return wrapped
