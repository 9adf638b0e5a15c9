"""The auth server's errors: TrueLayer's JSON envelope, or an HTML page inside the dialog.

The envelope and the table from core errors to TrueLayer's codes are ``errors.py``'s (one
table for the whole dialect, with the auth server's own wording of a few of them).
"""

from __future__ import annotations

from typing import NoReturn

from flask import Response, abort, jsonify, render_template, request

from ..core import errors
from . import problems
from .errors import envelope


def render(exc: errors.CoreError) -> tuple[Response | str, int]:
    """An error of the auth server: an HTML page inside the dialog, problem JSON from
    connection extension, TrueLayer's JSON elsewhere."""
    if request.endpoint == problems.ENDPOINT:
        return problems.render(exc)
    body, status = envelope(exc, auth=True, endpoint=request.endpoint)
    if request.path.startswith("/dialog") or (request.path == "/" and request.method == "GET"):
        page = render_template(
            "truelayer/error.html", title=body["error"], description=body["error_description"]
        )
        return page, status
    return jsonify(body), status


def end_dialog(status: int, description: str) -> NoReturn:
    """Stop with the dialog's own page for a sign-in that is over (not the sandbox's
    developer page, whose links lead a user into the dashboard): an ended or replayed
    sign-in the user reached from the history, or a form sent after the session was lost.
    It says the sign-in ended, not that it failed: the user may have just allowed access."""
    page = render_template("truelayer/error.html", title=None, description=description)
    abort(Response(page, status=status, mimetype="text/html"))
