"""Form fields parsed defensively: a bad value is the core's ``InvalidField`` naming the field.

Pages render that as a 400 page (``register_error_pages``) or, inside a dashboard
action, as a flash message; never as a 500. Only ASCII digits count as digits (``"²"``
is a digit to ``str.isdigit`` but not to ``int``).
"""

from __future__ import annotations

import math

from flask import request

from ..core.errors import CoreError, InvalidField


def form_int(name: str, low: int, high: int, default: str | None = None) -> int:
    """The form field ``name`` as a whole number from ``low`` to ``high``."""
    raw = request.form.get(name, default or "").strip()
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise InvalidField(f"{name} must be a whole number from {low} to {high}", field=name)
    return int(raw)


def form_number(name: str) -> float | None:
    """The form field ``name`` as a finite number (the core checks its range), or None."""
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise InvalidField(f"{name} must be a number", field=name)
    return number


def field_message(error: CoreError) -> str:
    """The core's message for a page that names the field beside it (by its label): without
    the field's name in front, so *HTTP status* reads "must be …", not "http_status must be …"
    (the core's messages lead with the field for the JSON APIs, which have no label)."""
    field = error.detail.get("field")
    if not field:
        return error.message
    return error.message.removeprefix(f"{field}: ").removeprefix(f"{field} ")
