"""``GET /openapi.json``: the OpenAPI 3.1 document of the Plaid dialect and the control API."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from .document import OPENAPI_PATH, document

bp = Blueprint("openapi", __name__)


@bp.get(OPENAPI_PATH)
def openapi() -> Response:
    """The document, pointing at the host the client used (so generated clients just work)."""
    return jsonify(document(request.host_url.rstrip("/")))
