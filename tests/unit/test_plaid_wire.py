"""The Plaid dialect's one error table and one webhook renderer (core errors carry facts)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sandbox.core import errors
from sandbox.plaid import errors as plaid_errors
from sandbox.plaid.webhook_bodies import render

LEAVES = [
    cls
    for cls in errors._subclasses(errors.CoreError)  # every condition the core can raise
    if not cls.__subclasses__()
]


@pytest.mark.parametrize("cls", LEAVES, ids=lambda cls: cls.__name__)
def test_every_core_error_has_its_own_row(cls: type[errors.CoreError]) -> None:
    """A new core error must be given Plaid's words explicitly, not inherit a family's."""
    assert cls in plaid_errors.ERRORS


def test_core_errors_carry_no_plaid_text() -> None:
    """Display texts live in the dialect's table only."""
    assert not any(hasattr(cls, "display_message") for cls in LEAVES)


def test_error_object_reads_the_table() -> None:
    """Type, code, status, display text and the documentation section come from one row."""
    body = plaid_errors.error_object(errors.ItemLocked(), with_request_id=False)
    assert body["error_type"] == "ITEM_ERROR"
    assert body["error_code"] == "ITEM_LOCKED"
    assert body["status"] == 400
    assert body["display_message"].startswith("The financial institution indicated")
    assert body["documentation_url"] == "https://plaid.com/docs/errors/item/#item_locked"


def test_detail_code_overrides_the_row_code() -> None:
    """An injected fault names the code it wants; the family row gives type and status."""
    row = plaid_errors.plaid_error(errors.RateLimited(code="ACCOUNTS_LIMIT"))
    assert (row.error_type, row.error_code, row.status) == (
        "RATE_LIMIT_EXCEEDED",
        "ACCOUNTS_LIMIT",
        429,
    )


def test_webhook_renderer_words_facts() -> None:
    """An error fact becomes the error object (with status), an instant ISO 8601 UTC in whole
    seconds, as ``/item/get`` writes its instants."""
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=dt.UTC)
    body = render("ITEM", "ERROR", "item-1", {"error": errors.LoginRequired(), "at": moment})
    document = json.loads(body)
    assert list(document) == [
        "webhook_type",
        "webhook_code",
        "item_id",
        "error",
        "at",
        "environment",
    ]
    assert document["error"] == plaid_errors.error_object(
        errors.LoginRequired(), with_request_id=False
    )
    assert document["at"] == "2026-01-02T03:04:05Z"
    assert body.startswith('{\n  "webhook_type": "ITEM"')


def test_link_events_have_no_item_id() -> None:
    """LINK webhooks are not about an item: the key is left out, not null."""
    assert "item_id" not in json.loads(render("LINK", "EVENTS", None, {}))
