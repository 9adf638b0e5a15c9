"""The core's refusals on the command line, in the words of the options the user typed.

The core names the API's fields (``error_code``, ``http_status``, ``consent_days``), which a
user of ``bank-sandbox faults add --code …`` never typed: the line said ``error_code: error_code
NOPE is not an error code``. Here each field the message names becomes the command's option.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import click

from .core.errors import CoreError

# The tenant's option on every command; the core's ``client_id`` is another thing (an app's).
TENANT_PARAMETER = "client_id"


def refused(exc: CoreError, words: Mapping[str, str] | None = None) -> click.ClickException:
    """One ``Error:`` line for what the core refused in the running command's options.

    Each option's parameter name is the API field it feeds (``error_code`` for ``--code``).
    The message names options instead of the fields that cannot be prose (those with an
    underscore, and ``words``: ``{"set": "--set"}``), and starts by naming the refused option
    unless it already does: ``--code NOPE is not an error code``, ``Invalid value for
    '--trigger': trigger must be one of always, nth, …``.
    """
    params = click.get_current_context().command.params
    options = {p.name: p.opts[0] for p in params if p.name and p.name != TENANT_PARAMETER}
    named = {field: option for field, option in options.items() if "_" in field}
    named.update(words or {})
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, named)) + r")\b")
    message = pattern.sub(lambda match: named[match[1]], exc.message)
    field = str(exc.detail.get("field") or "").split(".")[0]
    option = {**options, **named}.get(field)
    if option is None or option in message:
        return click.ClickException(message)
    return click.ClickException(f"Invalid value for '{option}': {message}")
