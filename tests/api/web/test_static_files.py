"""The pages' static files: served with caching headers, only from ``static/``, and never as
an open file a dropped connection could leave behind."""

from __future__ import annotations

import gc
import warnings

import pytest
from flask import Flask


@pytest.mark.parametrize(
    ("name", "mimetype", "start"),
    [("favicon.svg", "image/svg+xml", b"<svg"), ("site.css", "text/css", b"")],
)
def test_static_file_has_its_type_and_caching_headers(
    app: Flask, name: str, mimetype: str, start: bytes
) -> None:
    client = app.test_client()
    first = client.get(f"/static/web/{name}")
    assert first.status_code == 200 and first.mimetype == mimetype
    assert first.data.startswith(start) and len(first.data) > 100
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    again = client.get(f"/static/web/{name}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize("path", ["nope.css", "../blueprint.py", "..%2Fblueprint.py", "%2e%2e/x"])
def test_only_files_under_static_are_served(app: Flask, path: str) -> None:
    assert app.test_client().get(f"/static/web/{path}").status_code == 404


def test_a_reply_never_read_or_closed_leaves_no_open_file(app: Flask) -> None:
    """What werkzeug's development server does when the browser drops the connection while it
    drains the request: it never closes the reply. A file reply then warned at collection
    (``ResourceWarning: unclosed file``), which failed a browser test in CI."""
    reply = app.test_client().get("/static/web/favicon.svg", buffered=False)
    assert reply.status_code == 200
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del reply
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
