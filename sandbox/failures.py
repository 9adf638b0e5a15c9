"""How a failure reads in one line, for the command line and the webhook worker's log.

Its own module because both need it and the worker must not import the command line (which
builds the app, and with it every dialect).
"""

from __future__ import annotations

import click


class SettingsError(click.ClickException, ValueError):
    """Settings (the environment, or ``create_app``'s ``config``) no app can start from.

    A ``ValueError`` to code that builds apps; a ``ClickException`` so that any command line
    shows it as one ``Error:`` line and exit status 1: ``bank-sandbox``, and ``flask --app
    sandbox``, where Flask builds the app itself before any command of ours can catch it.
    """


def one_line(exc: BaseException) -> str:
    """The first line of what went wrong, without SQLAlchemy's background links (a click
    error, such as a ``SettingsError``, is written to be read as it is)."""
    if isinstance(exc, click.ClickException):
        return exc.format_message()
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    line = f"{type(cause).__name__}: {text[0] if text else 'no detail'}"
    unmigrated = type(cause).__name__ == "UndefinedTable" or "no such table" in line
    return f"{line} (run `bank-sandbox init-db` first)" if unmigrated else line
