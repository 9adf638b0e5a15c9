"""The ``link_sessions`` of ``/link/token/get``: Plaid's words for the facts the core keeps.

The core records each finished Link session as facts (outcome, instants, the accounts it
shared, the events with their metadata); this module builds Plaid's ``on_success`` /
``on_exit`` / ``results`` objects, event objects and timestamps from them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..core import errors, institutions
from .errors import error_object, plaid_error
from .responses import timestamp

# Plaid's result lists Link fills for other products (always empty here).
OTHER_RESULTS: dict[str, Any] = {
    "cra_item_add_results": [],
    "cra_update_results": [],
    "bank_income_results": [],
    "payroll_income_results": [],
    "document_income_results": None,
}


def link_sessions(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every recorded session of a link token, oldest first."""
    return [_session(entry) for entry in entries]


def events(session_id: str, recorded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A session's events in Plaid's words (``/link/token/get`` and Link JS's ``onEvent``
    both read them here, so they agree)."""
    return [_event(session_id, event) for event in recorded]


def _session(entry: dict[str, Any]) -> dict[str, Any]:
    if "link_session_id" in entry:
        return entry  # recorded in Plaid's shape by sandboxes before facts were stored
    session_id = entry["session_id"]
    body: dict[str, Any] = {
        "link_session_id": session_id,
        "started_at": _timestamp(entry["started_at"]),
        "finished_at": _timestamp(entry["finished_at"]),
        "on_success": None,
        "on_exit": None,
        "exit": None,
        "events": events(session_id, entry["events"]),
    }
    institution = _institution(entry.get("institution_id"))
    if entry["outcome"] == "success":
        body.update(_success(entry, session_id, institution))
    else:
        condition = entry.get("error")
        cls = errors.for_condition(condition) if condition else None
        metadata = {
            "institution": institution,
            "status": entry["status"],
            "link_session_id": session_id,
            "request_id": entry["request_id"],
        }
        record = {"error": error_object(cls(), with_request_id=False) if cls else None}
        record["metadata"] = metadata
        body.update(on_exit=record, exit=record)
    return body


def _success(
    entry: dict[str, Any], session_id: str, institution: dict[str, Any] | None
) -> dict[str, Any]:
    """``on_success`` and ``results``: the public token and the accounts shared."""
    token = entry["public_token"]
    # Sessions recorded before the sandbox kept the account's status have none (null).
    accounts = [{"verification_status": None, **a, "class_type": None} for a in entry["accounts"]]
    metadata = {
        "institution": institution,
        "accounts": accounts,
        "link_session_id": session_id,
        "transfer_status": None,
    }
    added = {"public_token": token, "accounts": accounts, "institution": institution}
    return {
        "on_success": {"public_token": token, "metadata": metadata},
        "results": {"item_add_results": [added], **OTHER_RESULTS},
    }


def _event(session_id: str, event: dict[str, Any]) -> dict[str, Any]:
    if "event_id" in event:
        return event  # a session that was open when the sandbox moved to stored facts
    metadata = dict(event["metadata"])
    if "condition" in metadata:
        cls = errors.for_condition(metadata.pop("condition"))
        metadata["error_code"] = plaid_error(cls()).error_code if cls else None
    return {
        "event_id": event["id"],
        "timestamp": _timestamp(event["at"]),
        "event_name": event["name"],
        "event_metadata": {"link_session_id": session_id, **metadata},
    }


def _institution(institution_id: str | None) -> dict[str, Any] | None:
    if institution_id is None:
        return None
    return {"name": institutions.get(institution_id).name, "institution_id": institution_id}


def _timestamp(stored: str | None) -> str | None:
    return timestamp(dt.datetime.fromisoformat(stored)) if stored else None
