"""Link JS: Plaid's drop-in script (``Plaid.create``) as the sandbox serves it, and the
embedded mode of the hosted Link pages that the script shows in an iframe on the app's page.

The script (``static/link-initialize.js``) opens ``/link?token=…&origin=<the app page's
origin>`` in a full-viewport iframe. That starts a Link session which this browser keeps as
embedded for that origin (in the signed Flask session, where hosted Link keeps its sessions).
Its panes may be framed by that origin only (CSP ``frame-ancestors``), never go to the
completion URI, and each tells the app's page what happened with ``postMessage`` addressed
to that origin alone: the session's events so far, and on the last pane its outcome in the
shapes of Plaid's ``onSuccess`` and ``onExit``, built by the same code as ``/link/token/get``'s
``link_sessions`` (so both agree). The banks' OAuth pages run inside the same frame.
DIVERGES: Plaid sends the user to an OAuth bank in a popup (or a redirect and
``receivedRedirectUri``).

Link's error pages in the frame tell the app too (``onExit`` with Plaid's error), even when
the browser withheld the session cookie from the frame (the app's page and the sandbox are
different sites): each embedded pane's forms carry a ticket, the origin and link token
signed with the app's secret key, so a form that comes back without the cookie still
names, unforgeably, the one origin that opened Link with that token. No other origin is
ever allowed to frame a page or sent a message; a page that cannot know its opener (a GET
that lost the cookie) stays unframable, and the script, hearing nothing from its frame,
exits Link itself.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, abort, current_app, request, session
from itsdangerous import BadSignature, URLSafeSerializer

from ..core import errors
from ..core.bank import LinkFlow
from ..core.models import LinkSession, LinkToken
from ..plaid.errors import error_object
from ..plaid.link_sessions import events, link_sessions
from ..security import allow_framing
from .blueprint import bp

# This browser's embedded Link sessions: session id → the origin of the page that opened it.
EMBEDS, KEPT_EMBEDS = "link_embeds", 8
# Marks the messages Link's frame posts, so the script tells them from other frames' traffic.
MESSAGE_SOURCE = "plaid-sandbox-link"
# A serialized origin as ``window.location.origin`` gives it: scheme, host, optional port.
ORIGIN = re.compile(
    r"https?://(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?"
)
# The form field of an embedded pane's ticket, and the salt of its signature.
TICKET_FIELD, TICKET_SALT = "embed", "link-embed-ticket"
# Long enough for a browser to keep the script across page loads, short enough that a
# sandbox upgrade reaches the app's page within the hour (the ETag revalidates it sooner).
SCRIPT_MAX_AGE = 3600


@bp.get("/link/v2/stable/link-initialize.js")
def link_initialize() -> Response:
    """Plaid's drop-in script: the app swaps ``https://cdn.plaid.com`` for the sandbox."""
    response = bp.send_static_file("link-initialize.js")
    response.mimetype = "text/javascript"
    response.cache_control.public = True
    response.cache_control.max_age = SCRIPT_MAX_AGE
    return response


def requested_origin() -> str | None:
    """The ``origin`` Link JS opened Link with (None: hosted Link); a malformed one is a 400
    naming the parameter, since the page could answer no one."""
    value = request.args.get("origin")
    if value is None:
        return None
    if not ORIGIN.fullmatch(value):
        abort(
            400, description="origin: must be the opening page's origin, e.g. http://localhost:3000"
        )
    return value


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt=TICKET_SALT)


def ticket(link_token: str, origin: str) -> str:
    """The ticket an embedded pane's forms carry: ``origin`` opened Link with ``link_token``."""
    return str(_signer().dumps([link_token, origin]))


def ticketed_origin(link_token: str | None) -> str | None:
    """The origin a pane's ticket vouches for (posted with a form, or in a search's query),
    if its signature holds and it was made for ``link_token``; None otherwise (hosted
    Link's forms, a forged or altered ticket, or one made for another token)."""
    try:
        signed = _signer().loads(request.values.get(TICKET_FIELD, ""))
    except BadSignature:
        return None
    if not (isinstance(signed, list) and len(signed) == 2 and signed[0] == link_token):
        return None
    origin = signed[1]
    return origin if isinstance(origin, str) and ORIGIN.fullmatch(origin) else None


def register(link_session: LinkSession, origin: str) -> None:
    """Remember that ``link_session`` runs embedded in a page of ``origin`` (the latest few)."""
    kept = [*session.get(EMBEDS, {}).items(), (link_session.id, origin)][-KEPT_EMBEDS:]
    session[EMBEDS] = dict(kept)


def origin_of(link_session: LinkSession) -> str | None:
    """The origin of the page ``link_session`` is embedded in (None: hosted Link)."""
    origin: str | None = session.get(EMBEDS, {}).get(link_session.id)
    return origin


def pane(link_session: LinkSession) -> dict[str, Any] | None:
    """The embedding of a step's pane: its events so far, whether it may send the frame to
    a bank's own pages (which post nothing), and its forms' ticket (None when not embedded)."""
    origin = origin_of(link_session)
    message = {
        "type": "pane",
        "events": events(link_session.id, link_session.data["events"]),
        "to_bank": link_session.step == LinkFlow.OAUTH,
    }
    embedding = _embedding(origin, link_session.id, message)
    if embedding is not None and origin is not None:
        embedding["ticket"] = ticket(link_session.link_token, origin)
    return embedding


def outcome(link: LinkToken, link_session: LinkSession) -> dict[str, Any] | None:
    """The embedding of the last pane: ``onSuccess``'s or ``onExit``'s arguments and every
    event, as ``/link/token/get`` reports the session (None when not embedded)."""
    origin = origin_of(link_session)
    entry = next((e for e in link.sessions or [] if e.get("session_id") == link_session.id), None)
    if origin is None or entry is None:
        return None
    reported = link_sessions([entry])[0]
    message: dict[str, Any] = {"events": reported["events"]}
    if reported["on_success"] is not None:
        message.update(type="success", **reported["on_success"])
    else:
        message.update(type="exit", **reported["exit"])
    return _embedding(origin, link_session.id, message)


def invalid_token(origin: str | None) -> dict[str, Any] | None:
    """The embedding of Link's page for an unknown or expired token: ``onExit`` with
    ``INVALID_LINK_TOKEN``, as Plaid's Link exits (no session was started)."""
    return failure(origin, errors.InvalidLinkToken())


def lost_session(origin: str | None) -> dict[str, Any] | None:
    """The embedding of Link's page for a form that came back without this browser's
    session (its cookie): ``onExit`` with Plaid's ``INTERNAL_SERVER_ERROR``, whose message
    tells the developer why. DIVERGES: Plaid's Link keeps its place without a cookie."""
    reason = (
        "Link's frame lost its session: the browser did not send the sandbox's session "
        "cookie (the app's page and the sandbox are different sites, or cookies were "
        "cleared). Serve both from one host name."
    )
    return failure(origin, errors.InternalError(reason))


def failure(origin: str | None, exc: errors.CoreError) -> dict[str, Any] | None:
    """The embedding of one of Link's error pages: ``onExit`` with ``exc`` as Plaid's error
    object, and no session's metadata (this page knows none)."""
    error = error_object(exc, with_request_id=False)
    metadata = {"status": None, "institution": None, "link_session_id": None, "request_id": None}
    message = {"type": "exit", "error": error, "metadata": metadata, "events": []}
    return _embedding(origin, None, message)


def _embedding(
    origin: str | None, session_id: str | None, message: dict[str, Any]
) -> dict[str, Any] | None:
    """What ``link/base.html`` needs to post ``message`` to ``origin``, whose pages may now
    frame this one."""
    if origin is None:
        return None
    allow_framing([origin])
    return {
        "origin": origin,
        "message": {"source": MESSAGE_SOURCE, "link_session_id": session_id, **message},
    }


@bp.after_request
def frame_bank_pages(response: Response) -> Response:
    """Let the pages embedding this browser's Link sessions frame the banks' authorize pages
    too: Link JS's frame goes to an OAuth bank and back."""
    if request.path.startswith("/oauth/") and request.path.endswith("/authorize"):
        embedders = set(session.get(EMBEDS, {}).values())
        if embedders:
            allow_framing(embedders)
    return response
