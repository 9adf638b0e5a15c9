"""JSON the sandbox can store: parsed, then checked for depth, numbers and characters.

Python's parser takes what no database column keeps: ``NaN`` and ``Infinity``, numbers out of
a float's range, integers beyond 64 bits, NUL characters (PostgreSQL refuses them in text and
``jsonb``) and surrogates left unpaired by ``\\ud800`` escapes (no UTF-8 encodes them). Request
bodies pass here (``sandbox.inputs``), and so do JSON documents that arrive inside a field, such
as a ``user_custom`` password, before anything of theirs reaches a column.

Every check is linear in the (bounded) input: the tree is walked without recursion, after the
C decoder has parsed it. A refusal is the core's ``InvalidBody`` or ``InvalidField``, naming
the field by its path in the document.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

from .errors import InvalidBody, InvalidField

INT64_MAX = 2**63 - 1
FORBIDDEN = re.compile("[\x00\ud800-\udfff]")  # NUL, and surrogates left unpaired by JSON
Node = tuple[Any, str, int]  # a JSON value, its field path and its depth


def parse(data: str | bytes, max_depth: int, document: str = "body") -> Any:
    """``data`` parsed and checked (``check_tree``); ``document`` names it in errors."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = _decoder(document).decode(text)
    except RecursionError:
        raise _too_deep(document, max_depth) from None
    except ValueError:
        raise InvalidBody(f"{document} could not be parsed as JSON", field=document) from None
    check_tree(value, max_depth, document)
    return value


@functools.cache
def _decoder(document: str) -> json.JSONDecoder:
    """The standard library's decoder refusing ``NaN``, ``Infinity`` and out-of-range numbers
    in ``document``: one per document name (``json.loads`` with these hooks built a decoder,
    and its scanner, for every body: 40% of parsing one). A decoder keeps no state between
    documents: ``json.loads`` shares its default one across threads the same way."""
    return json.JSONDecoder(
        parse_constant=functools.partial(_not_a_number, document),
        parse_float=functools.partial(_finite, document),
    )


def check_tree(value: Any, max_depth: int, document: str = "body") -> None:
    """Walk a parsed document (iteratively) and refuse the first bad node, naming its field."""
    stack: list[Node] = [(value, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth >= max_depth:
                raise _too_deep(document, max_depth)
            stack.extend(_children(node, path, depth + 1, document))
        elif isinstance(node, str):
            check_text(node, path, document)
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > INT64_MAX:
            name = field_name(path, document)
            raise InvalidField(f"{name} is out of range", field=name)


def field_name(path: str, document: str = "body") -> str:
    """A field path fit for an error message: bad characters escaped, long keys cut."""
    shown = FORBIDDEN.sub(lambda bad: f"\\u{ord(bad.group()):04x}", path or document)
    return shown if len(shown) <= 100 else shown[:97] + "..."


def _children(node: dict[Any, Any] | list[Any], path: str, depth: int, document: str) -> list[Node]:
    if isinstance(node, list):
        return [(item, f"{path}[{i}]", depth) for i, item in enumerate(node)]
    children = []
    for key, item in node.items():
        name = f"{path}.{key}" if path else str(key)
        check_text(key, name, document)
        children.append((item, name, depth))
    return children


def check_text(text: str, path: str, document: str = "body") -> None:
    """Refuse NUL and unpaired surrogates in a string of the document (a key or a value), or
    of a form, whose fields ``sandbox.inputs`` holds to the same rule."""
    found = FORBIDDEN.search(text)
    if found is None:
        return
    what = "NUL characters" if found.group() == "\x00" else "unpaired surrogates"
    name = field_name(path, document)
    raise InvalidBody(f"{name} must not contain {what}", field=name)


def _not_a_number(document: str, name: str) -> float:
    raise InvalidBody(f"the {document} holds {name}, which is not a JSON number", field=document)


def _finite(document: str, text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise InvalidBody(
            f"the {document} holds {text[:20]}, out of a number's range", field=document
        )
    return number


def _too_deep(document: str, max_depth: int) -> InvalidBody:
    return InvalidBody(f"the {document} is nested deeper than {max_depth} levels", field=document)
