"""The steps of a hosted Link session and what every step does alike: check the session is
at it (``expect``), record Plaid's Link events (``event``), and carry the login between
steps as JSON (``dump_login``). ``flow`` walks the main path, ``typed_steps`` the panes
where the user types bank numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from .. import errors, tokens, users
from ..models import LinkSession, LinkToken

CONSENT, SELECT, CREDENTIALS, MFA, OAUTH = (
    "consent",
    "select_institution",
    "credentials",
    "mfa",
    "oauth",
)
VERIFY, SELECT_ACCOUNT, MATCH = "verify_deposits", "select_account", "instant_match"
ERROR, DONE, EXITED = "error", "done", "exited"
FINISHED = {DONE, EXITED}


def is_update(link: LinkToken) -> bool:
    """Whether ``link`` repairs an existing item (update mode)."""
    return bool(link.config.get("access_token"))


def expect(session: LinkSession, step: str) -> None:
    if session.step != step:
        raise errors.InvalidField(f"this Link session is not at the {step} step", field="step")


def event(session: LinkSession, now: dt.datetime, name: str, **metadata: Any) -> None:
    entry = {"id": tokens.session_id(), "at": instant(now), "name": name, "metadata": metadata}
    session.data = {**session.data, "events": [*session.data.get("events", []), entry]}


def instant(value: dt.datetime | None) -> str | None:
    """An instant as stored in JSON columns: ISO 8601 in UTC, to the microsecond."""
    return None if value is None else value.astimezone(dt.UTC).isoformat()


def dump_login(login: users.Login) -> dict[str, Any]:
    """A login as JSON (sessions between MFA rounds and OAuth grants carry it)."""
    return {
        "username": login.username,
        "persona": login.persona,
        "custom": login.custom,
        "mfa": asdict(login.mfa) if login.mfa else None,
        "condition": login.condition,
        "eternal": login.eternal,
    }


def load_login(raw: dict[str, Any]) -> users.Login:
    """A login back from :func:`dump_login`."""
    mfa = users.Mfa(**raw["mfa"]) if raw.get("mfa") else None
    return users.Login(
        raw["username"],
        raw["persona"],
        mfa=mfa,
        custom=raw.get("custom"),
        condition=raw.get("condition"),
        eternal=bool(raw.get("eternal")),
    )
