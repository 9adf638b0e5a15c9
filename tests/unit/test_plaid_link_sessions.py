"""``/link/token/get``'s ``link_sessions``: Plaid's objects built from the facts the core keeps."""

from __future__ import annotations

from typing import Any

from sandbox.plaid.link_sessions import link_sessions

ACCOUNT = {
    "id": "acc-1",
    "name": "Checking",
    "mask": "0000",
    "type": "depository",
    "subtype": "checking",
}
EVENT = {"id": "ev-1", "at": "2026-03-17T09:30:05.250000+00:00", "name": "OPEN", "metadata": {}}


def _entry(**facts: Any) -> dict[str, Any]:
    return {
        "session_id": "ls-1",
        "started_at": "2026-03-17T09:30:05.250000+00:00",
        "finished_at": "2026-03-17T09:31:00+00:00",
        "events": [EVENT],
        **facts,
    }


def test_success_carries_the_public_token_accounts_and_institution() -> None:
    """``on_success`` and ``results`` share one account list, with Plaid's extra keys."""
    entry = _entry(
        outcome="success", public_token="public-1", institution_id="ins_109508", accounts=[ACCOUNT]
    )
    (session,) = link_sessions([entry])
    account = {**ACCOUNT, "verification_status": None, "class_type": None}
    assert session["on_success"]["metadata"]["accounts"] == [account]
    assert session["results"]["item_add_results"][0]["public_token"] == "public-1"
    assert session["on_success"]["metadata"]["institution"]["institution_id"] == "ins_109508"
    assert (session["on_exit"], session["exit"]) == (None, None)
    assert session["started_at"] == "2026-03-17T09:30:05Z"  # Plaid's timestamps drop sub-seconds


def test_exit_renders_the_condition_as_plaids_error_object() -> None:
    """The condition on screen becomes the error object; both exit keys hold the same record."""
    entry = _entry(
        outcome="exit",
        status="requires_credentials",
        institution_id=None,
        error="INVALID_CREDENTIALS",
        request_id="req-1",
    )
    (session,) = link_sessions([entry])
    assert session["on_exit"] == session["exit"]
    assert session["exit"]["error"]["error_code"] == "INVALID_CREDENTIALS"
    assert session["exit"]["error"]["display_message"].startswith("The credentials you provided")
    assert session["exit"]["metadata"] == {
        "institution": None,
        "status": "requires_credentials",
        "link_session_id": "ls-1",
        "request_id": "req-1",
    }


def test_events_get_plaids_keys_and_error_code() -> None:
    """An ERROR event's condition is worded as Plaid's ``error_code``."""
    error_event = {**EVENT, "name": "ERROR", "metadata": {"condition": "ITEM_LOCKED"}}
    entry = _entry(
        outcome="exit", status="requires_credentials", request_id="r", events=[error_event]
    )
    (event,) = link_sessions([entry])[0]["events"]
    assert event == {
        "event_id": "ev-1",
        "timestamp": "2026-03-17T09:30:05Z",
        "event_name": "ERROR",
        "event_metadata": {"link_session_id": "ls-1", "error_code": "ITEM_LOCKED"},
    }


def test_sessions_recorded_in_plaids_shape_are_served_as_they_are() -> None:
    """Databases written before facts were stored keep answering."""
    old = {"link_session_id": "ls-0", "on_success": None, "events": []}
    assert link_sessions([old]) == [old]
