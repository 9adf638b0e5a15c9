"""App users for the demo: sign-in with a session cookie (pages) or HTTP Basic (API clients).

Every query the app makes is scoped to `current_user()`, which is the client store's
`user_ref`: one user's connections, accounts and transactions do not exist for another.
Changes made with the session cookie carry this session's CSRF token (a form field for the
pages, the `X-CSRF-Token` header for the API); HTTP Basic requests need none, since a browser
never attaches those credentials on another site's behalf here.
"""

from __future__ import annotations

import hmac
import secrets

from flask import current_app, g, request, session

from client.app.errors import CsrfFailed, NotSignedIn

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_password(name: str, password: str) -> bool:
    """Whether `password` is this demo user's (constant-time; unknown names fail alike)."""
    users: dict[str, str] = current_app.config["APP_USERS"]
    expected = users.get(name, secrets.token_hex(16))
    return hmac.compare_digest(_utf8(expected), _utf8(password)) and name in users


def _utf8(text: str) -> bytes:
    """``text``'s bytes; a lone surrogate a JSON body may carry (``"\\ud800"``) is kept as
    bytes too, so such a password is simply wrong rather than an error."""
    return text.encode("utf-8", "surrogatepass")


def sign_in(name: str) -> None:
    """Start a fresh session for `name` (a new CSRF token too)."""
    session.clear()
    session["user"] = name
    session["csrf"] = secrets.token_urlsafe(24)


def sign_out() -> None:
    """Forget the session."""
    session.clear()


def csrf_token() -> str:
    """This session's CSRF token (pages put it in every form)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return str(token)


def csrf_ok(sent: str) -> bool:
    """Whether ``sent`` is this session's CSRF token."""
    return hmac.compare_digest(sent.encode(), csrf_token().encode())


def session_user() -> str | None:
    """The signed-in user of the cookie session, if any."""
    name = session.get("user")
    return name if name in current_app.config["APP_USERS"] else None


def current_user() -> str:
    """The request's app user; raises `NotSignedIn` when there is none."""
    if "user" not in g:
        g.user = _authenticate()
    user: str = g.user
    return user


def _authenticate() -> str:
    basic = request.authorization
    if basic is not None and basic.type == "basic":
        if check_password(basic.username or "", basic.password or ""):
            return str(basic.username)
        raise NotSignedIn("wrong user name or password")
    name = session_user()
    if name is None:
        raise NotSignedIn("sign in first: POST /signin, or send HTTP Basic credentials")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
        if not csrf_ok(sent):
            raise CsrfFailed("missing or wrong CSRF token", field="X-CSRF-Token")
    return name
