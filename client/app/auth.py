"""App users for the demo: sign-in with a session cookie (pages) or HTTP Basic (API clients).

Every query the app makes is scoped to `current_user()`, which is the client store's
`user_ref`: one user's connections, accounts and transactions do not exist for another.
Changes made with the session cookie carry this session's CSRF token (a form field for the
pages, the `X-CSRF-Token` header for the API); HTTP Basic requests need none, since a browser
never attaches those credentials on another site's behalf here.

The cookie is signed but names a server-side session (`client.app.sessions`): signing out
ends it there, so a copy of the cookie stops working too.
"""

from __future__ import annotations

import hmac
import secrets

from flask import current_app, g, request, session

from client.app import sessions
from client.app.errors import CsrfFailed, NotSignedIn
from client.store.db import Store

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


def _store() -> Store:
    store: Store = current_app.extensions["bank_app"].bank.store
    return store


def sign_in(name: str) -> None:
    """Start a fresh session for `name` (a new CSRF token too), recorded server-side."""
    session.clear()
    session["user"] = name
    session["key"] = sessions.open_session(_store(), name)
    session["csrf"] = secrets.token_urlsafe(24)
    g.session_user = name


def sign_out() -> None:
    """End the session server-side (every copy of the cookie), then forget it here."""
    key = session.get("key")
    if isinstance(key, str):
        sessions.close_session(_store(), key)
    session.clear()
    g.session_user = None


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
    """The signed-in user of the cookie session, if any: a session signed out (or expired)
    server-side has none, whatever its cookie says. Read once per request."""
    if "session_user" not in g:
        g.session_user = _live_session_user()
    name: str | None = g.session_user
    return name


def _live_session_user() -> str | None:
    name, key = session.get("user"), session.get("key")
    if name not in current_app.config["APP_USERS"] or not isinstance(key, str):
        return None
    return name if sessions.session_owner(_store(), key) == name else None


def session_key() -> str | None:
    """The key of the signed-in cookie session (Link flows are bound to it), if any."""
    key = session.get("key")
    return key if session_user() is not None and isinstance(key, str) else None


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
