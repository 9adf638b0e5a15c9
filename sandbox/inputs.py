"""Defensive parsing of every request, in one place: size, depth, Unicode, NUL, numbers.

``screen_request`` runs before any view (an app-level ``before_request``), so no route
can forget it, authenticated or not. It refuses what no endpoint accepts and what
PostgreSQL or the views would choke on, raising the core's ``InvalidBody`` /
``InvalidField`` naming the field; each blueprint renders those in its own format
(Plaid's error object, the control API's envelope, a 400 page for forms).

* the body: at most ``MAX_CONTENT_LENGTH`` bytes (werkzeug answers 413 beyond it);
* JSON: UTF-8, nested at most ``JSON_MAX_DEPTH`` deep, no ``NaN``/``Infinity``,
  integers within 64 bits, strings without NUL or lone surrogates (``"\\ud800"``);
* the path, query string, form fields and headers: no NUL.

Every check is linear in the (bounded) input: the JSON tree is walked without
recursion, after the C decoder has parsed it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from .core.errors import InvalidBody, InvalidField

INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1  # ids in URLs (``/control/webhooks/<int:id>``) are 32-bit columns
FORBIDDEN = re.compile("[\x00\ud800-\udfff]")  # NUL, and surrogates left unpaired by JSON
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
Node = tuple[Any, str, int]  # a JSON value, its field path and its depth


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
    if _may_hold_nul(request.environ):  # else the path, query and headers hold none
        _refuse_nul([("path", request.path)])
        _refuse_nul(request.args.items(multi=True))
        _refuse_nul(request.headers.items())
    if request.mimetype in FORM_TYPES:
        _refuse_nul(request.form.items(multi=True))
        return
    data = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: werkzeug's 413
    if b"\x00" in data:
        raise InvalidBody("the body must not contain NUL bytes", field="body")
    if data and request.is_json:
        request.get_json()  # parsed once, checked, and cached for the view


def _may_hold_nul(environ: dict[str, Any]) -> bool:
    """Whether the raw path, query string or headers could hold a NUL once decoded.

    One pass over the environ's strings (a superset of the path and the headers, names and
    values) and a look for ``%00`` in the query: a fifth of the cost of decoding the query and
    naming every header, which only a request that may hold a NUL then pays.
    """
    query = environ.get("QUERY_STRING", "")
    if "%00" in query:
        return True
    return any(
        "\x00" in key or (isinstance(value, str) and "\x00" in value)
        for key, value in environ.items()
    )


def parse(data: str | bytes, max_depth: int) -> Any:
    """A JSON document checked for depth, numbers and characters, or ``InvalidBody``."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text, parse_constant=_constant, parse_float=_finite)
    except RecursionError:
        raise _too_deep(max_depth) from None
    except ValueError:
        raise InvalidBody("body could not be parsed as JSON", field="body") from None
    check_tree(value, max_depth)
    return value


def check_tree(value: Any, max_depth: int) -> None:
    """Walk a parsed document (iteratively) and refuse the first bad node, naming its field."""
    stack: list[Node] = [(value, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth >= max_depth:
                raise _too_deep(max_depth)
            stack.extend(_children(node, path, depth + 1))
        elif isinstance(node, str):
            _check_text(node, path)
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > INT64_MAX:
            raise InvalidField(f"{_name(path)} is out of range", field=_name(path))


def _children(
    node: dict[Any, Any] | list[Any], path: str, depth: int
) -> list[tuple[Any, str, int]]:
    if isinstance(node, list):
        return [(item, f"{path}[{i}]", depth) for i, item in enumerate(node)]
    children = []
    for key, item in node.items():
        name = f"{path}.{key}" if path else str(key)
        _check_text(key, name)
        children.append((item, name, depth))
    return children


def _check_text(text: str, path: str) -> None:
    found = FORBIDDEN.search(text)
    if found is None:
        return
    what = "NUL characters" if found.group() == "\x00" else "unpaired surrogates"
    raise InvalidBody(f"{_name(path)} must not contain {what}", field=_name(path))


def _refuse_nul(pairs: Iterable[tuple[str, str]]) -> None:
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise InvalidField(f"{_name(name)} must not contain NUL characters", field=_name(name))


def _constant(name: str) -> float:
    raise InvalidBody(f"the body holds {name}, which is not a JSON number", field="body")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise InvalidBody(f"the body holds {text[:20]}, out of a number's range", field="body")
    return number


def _too_deep(max_depth: int) -> InvalidBody:
    return InvalidBody(f"the body is nested deeper than {max_depth} levels", field="body")


def _name(path: str) -> str:
    """A field path fit for an error message: bad characters escaped, long keys cut."""
    shown = FORBIDDEN.sub(lambda bad: f"\\u{ord(bad.group()):04x}", path or "body")
    return shown if len(shown) <= 100 else shown[:97] + "..."
