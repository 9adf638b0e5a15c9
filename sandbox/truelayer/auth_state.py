"""The auth dialog's state between pages, kept in the browser's signed session cookie.

An auth link opens a dialog with a short id; each page of it (``/dialog/<id>``) reads and
writes that dialog's dict: the validated link parameters, the chosen provider, the
signed-in login and the accounts shared. Only the few most recent dialogs are kept, so the
cookie stays small.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import session

from ..web.csrf import matches
from .auth_errors import end_dialog

KEY = "tl_dialogs"
MAX_DIALOGS = 4
# Steps of the dialog, in order.
PROVIDERS = "providers"
LOGIN = "login"
CONSENT = "consent"


def open_dialog(params: dict[str, Any]) -> str:
    """Start a dialog with the validated link parameters; returns its id."""
    dialogs: dict[str, Any] = dict(session.get(KEY, {}))
    while len(dialogs) >= MAX_DIALOGS:
        dialogs.pop(next(iter(dialogs)))
    dialog_id = secrets.token_urlsafe(9)
    dialogs[dialog_id] = params
    session[KEY] = dialogs
    return dialog_id


def load(dialog_id: str) -> dict[str, Any]:
    """A dialog of this browser (a 404 page for an unknown or finished one)."""
    found: dict[str, Any] | None = session.get(KEY, {}).get(dialog_id)
    if found is None:
        end_dialog(404, "This page belongs to a sign-in that is over.")
    return found


def save(dialog_id: str, dialog: dict[str, Any]) -> None:
    """Store a changed dialog."""
    session[KEY] = {**session.get(KEY, {}), dialog_id: dialog}


def close(dialog_id: str) -> None:
    """Forget a finished dialog (its link cannot be replayed)."""
    session[KEY] = {k: v for k, v in session.get(KEY, {}).items() if k != dialog_id}


def by_oauth_state(state: str) -> tuple[str, dict[str, Any]] | None:
    """The open dialog a bank's redirect with ``state`` belongs to: waiting for it, or back
    from the bank already (its ``code_verifier`` spent) and reached again from the history."""
    for dialog_id, dialog in session.get(KEY, {}).items():
        waiting = dialog.get("oauth_state")
        if state and waiting and matches(state, waiting):
            return dialog_id, dialog
    return None
