"""``POST /data/v1/batch/transactions``: every account's and card's transactions in one call,
answered later at ``/data/v1/batch/results/<task_id>``.

The body ``{from, to, pending, balance, webhook_uri, account_ids_whitelist}`` (TrueLayer's
``BatchRequest``; no field required) is read before the call reaches the bank, so a bad field
is the immediate reply (``validation_error``, or ``invalid_date_range`` for a date it cannot
read, naming the field); the call then runs as an ``async=true`` read does (``async_calls``):
202 with the task, what the bank answers kept as the task's result, ``webhook_uri`` told.

The result is TrueLayer's ``BatchResults``: ``{status, task_id, request{from, to},
results{accounts[], cards[]}}``, each item ``{account_id, transactions[]}`` plus
``pending_transactions[]`` when ``pending`` and ``balance`` when ``balance`` were asked for.

DIVERGES (unconfirmed, TrueLayer documents none of it): ``balance: true`` needs the
``balance`` scope (else 403 ``access_denied``, as the balance endpoints); cards are included
when the consent has the ``cards`` scope (the endpoint itself needs ``accounts`` and
``transactions``); the whitelist filters (an id that is not the connection's matches nothing;
an empty list is no filter); fields TrueLayer does not list are ignored; the batch counts as
one call against the unattended quota.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import request

from ..core import errors
from ..core.bank import Bank, EgressPolicy
from ..core.models import Account
from ..shared import egress_policy
from .async_calls import AsyncCall, webhook_uri_of
from .days import day_of
from .render import day

BATCH_PATH = "/data/v1/batch/transactions"
RESULTS_ENDPOINT = "truelayer_data.batch_results"
WHITELIST = "account_ids_whitelist"


@dataclass(frozen=True)
class BatchRequest:
    """What a batch asked for (``start``/``end`` as given: the bank's window fills them)."""

    start: dt.date | None
    end: dt.date | None
    pending: bool
    balance: bool
    webhook_uri: str | None
    whitelist: frozenset[str]

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes the batch needs beyond the endpoint's."""
        return ("balance",) if self.balance else ()

    def chosen(self, accounts: Iterable[Account]) -> list[Account]:
        """``accounts`` the whitelist lets through (all of them without one)."""
        return [a for a in accounts if not self.whitelist or a.id in self.whitelist]


def asked() -> BatchRequest | None:
    """The request's batch body, on the batch route (None on any other)."""
    rule = request.url_rule.rule if request.url_rule is not None else ""
    if rule != BATCH_PATH:
        return None
    return parse(request.get_json(force=True, silent=True) if request.data else {}, egress_policy())


def parse(body: Any, egress: EgressPolicy) -> BatchRequest:
    """TrueLayer's ``BatchRequest``, each field checked: a bad one is refused naming it
    (``webhook_uri`` by ``egress``, the app's rule for where webhooks may go)."""
    if not isinstance(body, dict):
        raise errors.InvalidBody("the body must be a JSON object", field="body")
    return BatchRequest(
        start=day_of("from", _text(body, "from")),
        end=day_of("to", _text(body, "to")),
        pending=_flag(body, "pending"),
        balance=_flag(body, "balance"),
        webhook_uri=webhook_uri_of(_text(body, "webhook_uri") or None, egress),
        whitelist=_whitelist(body.get(WHITELIST)),
    )


def call(batch: BatchRequest, bank: Bank) -> AsyncCall:
    """The batch as a task answered at its own results URI."""
    return AsyncCall(batch.webhook_uri, bank.tasks.new_id(), RESULTS_ENDPOINT)


def results(
    task_id: str,
    window: tuple[dt.date, dt.date],
    accounts: list[dict[str, Any]],
    cards: list[dict[str, Any]],
) -> dict[str, Any]:
    """TrueLayer's ``BatchResults``: the window read and each account's and card's items."""
    start, end = window
    return {
        "status": "Succeeded",
        "task_id": task_id,
        "request": {"from": day(start), "to": day(end)},
        "results": {"accounts": accounts, "cards": cards},
    }


def _text(body: dict[str, Any], name: str) -> str | None:
    found = body.get(name)
    if found is None or isinstance(found, str):
        return found
    raise errors.InvalidField(f"{name} must be a string, not {found!r}", field=name)


def _flag(body: dict[str, Any], name: str) -> bool:
    found = body.get(name)
    if found is None or isinstance(found, bool):
        return bool(found)
    raise errors.InvalidField(f"{name} must be true or false, not {found!r}", field=name)


def _whitelist(found: Any) -> frozenset[str]:
    if found is None:
        return frozenset()
    if isinstance(found, list) and all(isinstance(i, str) and i for i in found):
        return frozenset(found)
    raise errors.InvalidField(f"{WHITELIST} must be a list of account ids", field=WHITELIST)
