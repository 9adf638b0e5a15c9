"""How a failure reads in one line, for the command line and the webhook worker's log.

Its own module because both need it and the worker must not import the command line (which
builds the app, and with it every dialect).
"""

from __future__ import annotations


def one_line(exc: BaseException) -> str:
    """The first line of what went wrong, without SQLAlchemy's background links."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    line = f"{type(cause).__name__}: {text[0] if text else 'no detail'}"
    unmigrated = type(cause).__name__ == "UndefinedTable" or "no such table" in line
    return f"{line} (run `bank-sandbox init-db` first)" if unmigrated else line
