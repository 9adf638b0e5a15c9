"""Defensive parsing of every request, in one place: size, depth, Unicode, NUL, numbers.

``screen_request`` runs before any view (an app-level ``before_request``), so no route
can forget it, authenticated or not. It refuses what no endpoint accepts and what
PostgreSQL or the views would choke on, raising the core's ``InvalidBody`` /
``InvalidField`` naming the field; each blueprint renders those in its own format
(Plaid's error object, the control API's envelope, a 400 page for forms).

* the body: at most ``MAX_CONTENT_LENGTH`` bytes (werkzeug answers 413 beyond it);
* JSON: UTF-8, nested at most ``JSON_MAX_DEPTH`` deep, no ``NaN``/``Infinity``,
  integers within 64 bits, strings without NUL or lone surrogates (``"\\ud800"``);
* URL-encoded form fields: the JSON strings' rule (UTF-8, no NUL or lone surrogates);
* the path, query string, multipart form fields and headers: no NUL.

The JSON checks are ``sandbox.core.strict_json``'s, which also screens JSON that arrives
inside a field (a ``user_custom`` password).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from .application import this_request
from .core.errors import InvalidBody, InvalidField
from .core.strict_json import check_text, field_name, parse

INT32_MAX = 2**31 - 1  # ids in URLs (``/control/webhooks/<int:id>``) are 32-bit columns
URLENCODED = "application/x-www-form-urlencoded"
FORM_TYPES = (URLENCODED, "multipart/form-data")


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` in URLs: ids beyond a 32-bit column are simply not found (404)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT32_MAX)
        super().__init__(*args, **kwargs)


class StrictJSONProvider(DefaultJSONProvider):
    """The app's JSON: ``request.get_json()`` refuses what the sandbox cannot store."""

    max_depth = 32

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a body, then check the whole tree (see the module docstring)."""
        return parse(s, self.max_depth)


def install(app: Flask, provider_class: type[StrictJSONProvider] = StrictJSONProvider) -> None:
    """Make every request pass ``screen_request`` and parse JSON strictly (with
    ``provider_class``, which may render replies its own way)."""
    provider = provider_class(app)
    provider.max_depth = int(app.config["JSON_MAX_DEPTH"])
    provider.sort_keys = False
    app.json = provider
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(screen_request)


def screen_request() -> None:
    """Refuse NUL anywhere and malformed JSON bodies before any view or database sees them."""
    req = this_request()
    if _may_hold_nul(req.environ):  # else the path, query and headers hold none
        _refuse_nul([("path", req.path)])
        _refuse_nul(req.args.items(multi=True))
        _refuse_nul(req.headers.items())
    mimetype = req.mimetype
    if mimetype in FORM_TYPES:
        if mimetype == URLENCODED:
            _screen_form(req.get_data(cache=True))  # cached: ``request.form`` reads it
        _refuse_nul(req.form.items(multi=True))
        return
    data = req.get_data(cache=True)  # over MAX_CONTENT_LENGTH: werkzeug's 413
    if b"\x00" in data:
        raise InvalidBody("the body must not contain NUL bytes", field="body")
    if data and req.is_json:
        req.get_json()  # parsed once, checked, and cached for the view


def _may_hold_nul(environ: dict[str, Any]) -> bool:
    """Whether the raw path, query string or headers could hold a NUL once decoded.

    One pass over the environ's strings (a superset of the path and the headers, names and
    values) and a look for ``%00`` in the query: a fifth of the cost of decoding the query and
    naming every header, which only a request that may hold a NUL then pays.
    """
    if "%00" in environ.get("QUERY_STRING", ""):
        return True
    for key, value in environ.items():
        if "\x00" in key or (isinstance(value, str) and "\x00" in value):
            return True
    return False


def _screen_form(body: bytes) -> None:
    """A form's fields held to the JSON body's rule for strings (``check_text``).

    werkzeug decodes form fields leniently: an encoded lone surrogate (``%ED%A0%80``, what
    ``"\\ud800"`` becomes) would reach a view, and a column, as U+FFFD. Decoded here with
    ``surrogatepass``, it is refused as the JSON API refuses it; other bytes that are not
    UTF-8 are refused too.
    """
    # Latin-1 maps bytes to characters one to one: the fields come back as their raw bytes.
    fields = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    for raw_name, raw_value in fields:
        try:
            name, value = (
                part.encode("latin-1").decode("utf-8", "surrogatepass")
                for part in (raw_name, raw_value)
            )
        except UnicodeDecodeError:
            raise InvalidBody("the form's fields must be UTF-8 text", field="body") from None
        check_text(name, name)
        check_text(value, name)


def _refuse_nul(pairs: Iterable[tuple[str, str]]) -> None:
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise InvalidField(
                f"{field_name(name)} must not contain NUL characters", field=field_name(name)
            )
