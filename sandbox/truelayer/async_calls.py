"""``?async=true`` on the Data API: the reply is kept as a task and fetched at its results URI.

TrueLayer's OpenAPI file takes ``async`` (only ``true``) and ``webhook_uri`` on every
``/accounts…`` and ``/cards…`` read (not ``/info`` or ``/me``, which ignore them). Such a call
answers **202** ``{"results_uri", "status": "Queued", "task_id"}``; ``GET
/data/v1/results/<task_id>`` then answers what the synchronous call would have (its status
and body), to the same connection only; ``webhook_uri`` receives TrueLayer's notice
``{request_timestamp, request_uri, results_uri, credentials_id, task_id, status}`` through the
sandbox's webhook outbox (retries, the control API's log).

What the call would refuse before reaching the bank (a bad token, a scope the consent lacks,
a bad ``async`` or ``webhook_uri``, a ``Sandbox-Fault`` header it cannot read or refuses) is
the immediate reply; what the bank answers (the data, a mock user's ``error.<code>``, an
unknown account, the unattended quota, an injected fault's error) is the task's result,
``Failed`` with TrueLayer's error envelope and its status. A bad ``from``/``to`` is checked
before the call reaches the bank (it costs no quota) yet is still the task's ``Failed``
result. A fault that stands for the transport (a raw ``http_status``, ``drop``) hits the
immediate reply, as it would a synchronous one.

DIVERGES: the sandbox runs the call before it answers, so the task is done by the time its
202 arrives (a poll never sees ``Queued`` or ``Running``); results are kept 7 days on the
tenant's clock (TrueLayer documents no limit); a failed task's body is the error envelope with
``"status": "Failed"`` added (TrueLayer does not document it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify, request, url_for

from .. import fault_replies
from ..core import errors
from ..core.bank import Bank, EgressPolicy, EgressRefused, Grant, Notice, RequestSignature
from ..extensions import current_session
from ..shared import egress_policy, public_url
from .fault_gate import DATA_PATHS
from .render import instant

# The GET reads that take ``async``: not ``/info``, nor the batch (a POST, always answered later).
ASYNC_PATHS = frozenset(
    p for p in DATA_PATHS if p.startswith(("/data/v1/accounts", "/data/v1/cards"))
)
RESULTS_ENDPOINT = "truelayer_data.results"
# The webhook's signature, as TrueLayer signs its webhooks (truelayer-signing, version 2); the
# key set it names is the sandbox's own (``/api/webhooks/<client_id>/jwks``).
SIGNATURE_HEADER = "Tl-Signature"
TIMESTAMP_HEADER = "X-Tl-Webhook-Timestamp"
# Fault actions that stand for the transport, not the bank: they hit the immediate reply.
TRANSPORT_FAULTS = ("status", "drop")


@dataclass(frozen=True)
class AsyncCall:
    """A call to answer later: its task, where to say it is done (None: the app polls) and
    the view that serves its results (``/results/<task_id>``, or a batch's own)."""

    webhook_uri: str | None
    task_id: str
    results_endpoint: str = RESULTS_ENDPOINT


def requested(bank: Bank) -> AsyncCall | None:
    """The request's ``async=true`` (and ``webhook_uri``), on a route that takes them; a value
    TrueLayer's OpenAPI file does not allow is ``validation_error`` naming the parameter."""
    rule = request.url_rule.rule if request.url_rule is not None else ""
    if request.method != "GET" or rule not in ASYNC_PATHS:
        return None
    flag = request.args.get("async")
    if flag is None or flag == "false":
        return None
    if flag != "true":
        raise errors.InvalidField(f"async must be true (or left out), not {flag!r}", field="async")
    webhook_uri = webhook_uri_of(request.args.get("webhook_uri") or None, egress_policy())
    return AsyncCall(webhook_uri, bank.tasks.new_id())


def webhook_uri_of(webhook_uri: str | None, egress: EgressPolicy) -> str | None:
    """A ``webhook_uri`` as given, if it is an absolute http(s) URI with a valid port and not
    an address the sandbox never calls (``core.egress``, as Plaid's dialect checks its webhook
    URLs), else ``validation_error`` naming it: the query parameter of an async read and the
    field of a batch's body. Refused now, not as a 202 whose webhook can never be delivered."""
    if webhook_uri is not None:
        try:
            egress.check_url(webhook_uri)
        except EgressRefused as exc:
            raise errors.InvalidField(f"webhook_uri: {exc}", field="webhook_uri") from None
    return webhook_uri


def answer_later(response: Response, call: AsyncCall, grant: Grant, bank: Bank) -> Response:
    """Keep ``response`` as a task of the grant's connection and answer 202 with its results
    URI (a transport fault's reply is left as it is)."""
    verdict = request.environ.get(fault_replies.FAULT)
    if verdict is not None and verdict.decision.action.kind in TRANSPORT_FAULTS:
        return response
    task_id = call.task_id
    results_uri = public_url() + url_for(call.results_endpoint, task_id=task_id)
    kept = _kept_body(response)
    notice = None
    if call.webhook_uri is not None:
        body = _notice(grant, bank, task_id, results_uri, 200 <= response.status_code < 300)
        notice = Notice(call.webhook_uri, json.dumps(body), _signature(grant))
    bank.tasks.keep(task_id, grant.item, grant.credentials_id, (response.status_code, kept), notice)
    current_session().commit()
    accepted = jsonify({"results_uri": results_uri, "status": "Queued", "task_id": task_id})
    accepted.status_code = 202
    return accepted


def _kept_body(response: Response) -> str:
    """The reply as the results URI serves it: a success as it was, an error with ``status``."""
    if 200 <= response.status_code < 300:
        return response.get_data(as_text=True)
    found: dict[str, Any] = response.get_json(silent=True) or {}
    return json.dumps({**found, "status": "Failed"})


def _notice(
    grant: Grant, bank: Bank, task_id: str, results_uri: str, succeeded: bool
) -> dict[str, Any]:
    """TrueLayer's completion webhook body: where the results are, not the results."""
    return {
        "request_timestamp": instant(bank.now()),
        "request_uri": public_url() + request.full_path.rstrip("?"),
        "results_uri": results_uri,
        "credentials_id": grant.credentials_id,
        "task_id": task_id,
        "status": "Succeeded" if succeeded else "Failed",
    }


def _signature(grant: Grant) -> RequestSignature:
    """TrueLayer's ``Tl-Signature`` (version 2), its ``jku`` the sandbox's key set."""
    jku = public_url() + url_for("truelayer.api_webhook_keys", client_id=grant.client_id)
    jose = {"tl_version": "2", "tl_headers": TIMESTAMP_HEADER, "jku": jku}
    return RequestSignature(SIGNATURE_HEADER, TIMESTAMP_HEADER, jose)
