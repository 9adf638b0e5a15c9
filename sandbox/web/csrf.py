"""CSRF protection for the HTML forms: a random token kept in the signed Flask session.

Every form carries ``csrf_token``; a POST whose token does not match the session's is
refused with 400 before any state changes. Machine endpoints (token, revocation) take
no cookies and need no token.
"""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

FIELD = "csrf_token"


def token() -> str:
    """This browser's CSRF token (made on first use)."""
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    value: str = session[FIELD]
    return value


def valid() -> bool:
    """Whether the form POST carries this browser's token (false once the session is lost)."""
    expected = session.get(FIELD, "")
    return bool(expected) and matches(request.form.get(FIELD, ""), expected)


def check() -> None:
    """Refuse a form POST whose token is missing or wrong."""
    if not valid():
        abort(400, description="This form has expired. Go back, reload the page and try again.")


def matches(sent: str, expected: str) -> bool:
    """Whether a token the browser sent (a form's, an OAuth ``state``) is ``expected``, in
    constant time. Compared as UTF-8 bytes: ``compare_digest`` raises on a str holding
    non-ASCII, which made ``csrf_token=é`` a 500 instead of a refusal."""
    return hmac.compare_digest(sent.encode(), expected.encode())
