"""Web pages: the home page of a running sandbox, and error pages for every path.

Unknown API paths get Plaid's ``NOT_FOUND`` error object (SDKs parse error bodies as
JSON), or the error of the dialect that claimed the path (``claim_error_format``: TrueLayer's
``/connect``, ``/api``, ``/data``…); browsers get an HTML page.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, render_template, request, send_file
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound as NotFoundPage
from werkzeug.security import safe_join

from ..control.routes import render_error as render_control_error
from ..core import institutions
from ..core.errors import CoreError, InternalError, InvalidBody, InvalidRequest, NotFound
from ..plaid.errors import render as render_plaid_error
from .forms import field_message


class _StaticFromMemory(Blueprint):
    """Static files (two stylesheets and an icon, a few KB) sent as bytes, not as open files.

    werkzeug's development server (``serve``, ``LiveSandbox``) skips closing a reply when the
    client drops the connection while it drains the request (a browser leaving a page): a
    file reply then left its file open for the garbage collector, a ``ResourceWarning``.
    """

    def send_static_file(self, filename: str) -> Response:
        """The file under ``static/`` (404 outside it or when missing), with Flask's caching
        headers: an ETag and Last-Modified for conditional requests, and the app's max age."""
        path = safe_join(str(self.static_folder), filename)
        if path is None or not os.path.isfile(path):
            raise NotFoundPage()
        stat = os.stat(path)
        return send_file(
            io.BytesIO(Path(path).read_bytes()),
            download_name=filename,
            etag=f"{stat.st_mtime_ns:x}-{stat.st_size:x}",
            last_modified=stat.st_mtime,
            max_age=current_app.get_send_file_max_age(filename),
        )


bp = _StaticFromMemory(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)


# The TrueLayer auth link is the site root (``/?response_type=code&client_id=...``); a URL
# naming an app and its redirect URI is one even without ``response_type`` (its error goes
# back to the app).
AUTH_LINK_ENDPOINT = "truelayer.auth_link"


def is_auth_link(args: Mapping[str, str]) -> bool:
    """Whether the site root was asked for as TrueLayer's auth link."""
    return "response_type" in args or ("client_id" in args and "redirect_uri" in args)


@bp.get("/")
def index() -> Response | str:
    """The landing page, or TrueLayer's auth dialog when the URL is an auth link."""
    if is_auth_link(request.args) and AUTH_LINK_ENDPOINT in current_app.view_functions:
        # By name: web imports no dialect above it.
        dialog = current_app.ensure_sync(current_app.view_functions[AUTH_LINK_ENDPOINT])
        return current_app.make_response(dialog())
    return render_template(
        "index.html",
        base_url=request.host_url.rstrip("/"),
        institutions=list(institutions.catalogue().values()),
    )


# A dialect's error renderer: a core error, and the HTTP status to answer with (None: its own).
ErrorFormat = Callable[[CoreError, int | None], tuple[Response | str, int]]
CLAIMS = "sandbox.error_formats"


def claim_error_format(app: Flask, segments: Iterable[str], render: ErrorFormat) -> None:
    """Render every error on paths whose first segment is in ``segments`` with ``render``.

    For a dialect above this layer (TrueLayer): its blueprints' handlers see only core errors
    of its views, so an unknown path or method, a body too large or an unexpected exception
    on its paths would get Plaid's error object from the app-wide handlers below.
    """
    app.extensions.setdefault(CLAIMS, {}).update(dict.fromkeys(segments, render))


def register_error_pages(app: Flask) -> None:
    """Render HTTP and core errors in the format of the part of the app that was called.

    The dashboard claims its paths, so that one no route matches (``/dashboard/webhooks/abc``)
    is its 404 page like an unknown id, not Plaid's error object.
    """
    claim_error_format(app, ("dashboard",), page_error)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        code = exc.code or 500
        if _wants_html():
            return render_template("error.html", code=code, description=exc.description), code
        return render_error(_as_core_error(exc, code), code if code != 405 else 404)

    @app.errorhandler(CoreError)
    def core_error(exc: CoreError) -> tuple[Response | str, int]:
        return render_error(exc)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response | str, int]:
        app.logger.exception("unhandled error", exc_info=exc)
        if not _wants_html():
            return render_error(InternalError())
        return render_template(
            "error.html", code=500, description="an unexpected error occurred"
        ), 500


def render_error(exc: CoreError, status: int | None = None) -> tuple[Response | str, int]:
    """The format of the path's dialect (``claim_error_format``), the control API's envelope,
    a 400 page for the pages' forms, or Plaid's error object."""
    claimed: ErrorFormat | None = current_app.extensions.get(CLAIMS, {}).get(
        request.path.split("/", 2)[1]
    )
    if claimed is not None:
        return claimed(exc, status)
    if request.blueprint == "control":
        return render_control_error(exc, status)
    if request.blueprint == "web" and not request.path.startswith("/oauth/"):
        return page_error(exc, status)
    response, plaid_status = render_plaid_error(exc)
    return response, status or plaid_status


def page_error(exc: CoreError, status: int | None = None) -> tuple[str, int]:
    """The pages' error page: ``status``, or 500 for an internal error and 400 for a form's."""
    field = exc.detail.get("field")
    description = f"{field}: {field_message(exc)}" if field else exc.message
    code = status or (500 if isinstance(exc, InternalError) else 400)
    return render_template("error.html", code=code, description=description), code


def _as_core_error(exc: HTTPException, code: int) -> CoreError:
    if code in (404, 405):
        return NotFound("not found", field="path")
    if code == 413:
        return InvalidBody("the body is larger than this sandbox accepts", field="body")
    return InvalidRequest(exc.description or "invalid request")


def _wants_html() -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("Accept", "")
