"""JSON replies rendered by orjson: the same JSON as Flask's provider, several times faster.

Every Plaid reply is a ``jsonify`` of plain dicts, lists, strings and numbers, and Flask's
provider (the standard library's encoder) was a tenth of a balance call. orjson writes the
same document: keys in the same order, compact, a final newline; dates and dataclasses go
through Flask's own ``default`` (``http_date``, ``asdict``) as before.
Only non-ASCII text differs in bytes, written as UTF-8 rather than ``\\u`` escapes, which
JSON parsers read alike. Whatever orjson refuses (an integer beyond 64 bits) is rendered by
Flask's provider, so no reply changes meaning. Request bodies are still parsed as
``sandbox.inputs`` parses them (the standard library, then its checks).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import orjson
from flask import Response

from .inputs import StrictJSONProvider

if TYPE_CHECKING:
    from werkzeug.sansio.response import Response as AnyResponse

OPTIONS = (
    orjson.OPT_NON_STR_KEYS
    | orjson.OPT_APPEND_NEWLINE
    | orjson.OPT_PASSTHROUGH_DATETIME  # Flask writes dates as HTTP dates, not ISO
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


class OrjsonProvider(StrictJSONProvider):
    """The app's JSON provider with replies rendered by orjson (``jsonify``, dict returns)."""

    def response(self, *args: Any, **kwargs: Any) -> AnyResponse:
        """A JSON reply, indented by two spaces in debug mode as Flask's provider indents it.

        orjson writes the pretty replies too: parts of a reply arrive as ``orjson.Fragment``
        (transactions, accounts: bytes rendered once and cached), which only orjson can write.
        """
        pretty = (self.compact is None and self._app.debug) or self.compact is False
        obj = self._prepare_response_obj(args, kwargs)
        options = OPTIONS | (orjson.OPT_SORT_KEYS if self.sort_keys else 0)
        options |= orjson.OPT_INDENT_2 if pretty else 0
        try:
            body = orjson.dumps(obj, default=self.default, option=options)
        except orjson.JSONEncodeError:
            return super().response(*args, **kwargs)
        return Response(body, mimetype=self.mimetype)


def json_column(text: str | bytes) -> Any:
    """A JSON column's value as read back (the engine's ``json_deserializer``).

    orjson parses the few JSON columns of every read (account details, item products) in a
    fraction of the time. A document it refuses (``NaN``, which the standard library writes)
    is parsed by the standard library. Integers round-trip within 64 bits (orjson reads
    larger ones as floats); ``sandbox.inputs`` refuses larger ones in every request body.
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
