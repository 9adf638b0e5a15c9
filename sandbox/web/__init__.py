"""Web pages: the home page of a running sandbox, and error pages for every path.

Unknown API paths get Plaid's ``NOT_FOUND`` error object (SDKs parse error bodies as
JSON); browsers get an HTML page.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from ..core import institutions
from ..core.errors import InternalError, InvalidRequest, NotFound
from ..plaid.errors import render as render_plaid_error

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)


@bp.get("/")
def index() -> str:
    """The landing page: what is running, where to point an SDK, which banks exist."""
    return render_template(
        "index.html",
        base_url=request.host_url.rstrip("/"),
        institutions=list(institutions.catalogue().values()),
    )


def register_error_pages(app: Flask) -> None:
    """Render HTTP errors as Plaid JSON for API calls and as HTML for browsers."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        code = exc.code or 500
        if not _wants_html():
            error = (
                NotFound("not found", field="path")
                if code in (404, 405)
                else InvalidRequest(exc.description or "invalid request")
            )
            response, status = render_plaid_error(error)
            return response, status if code in (404, 405) else code
        return render_template("error.html", code=code, description=exc.description), code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response | str, int]:
        app.logger.exception("unhandled error", exc_info=exc)
        if not _wants_html():
            return render_plaid_error(InternalError())
        return render_template(
            "error.html", code=500, description="an unexpected error occurred"
        ), 500


def _wants_html() -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("Accept", "")


# Routes of the Link pages, the banks' OAuth servers and the dashboard register on ``bp``.
from . import dashboard as dashboard  # noqa: E402
from . import link as link  # noqa: E402
from . import oauth as oauth  # noqa: E402
from . import pages as pages  # noqa: E402
