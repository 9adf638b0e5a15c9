"""How the dashboard words raw values: categories, webhook delivery states, attempt failures.

The core stores what happened (a PFC code, ``pending`` with an attempt count, the exception
text of a failed POST); a person reading the dashboard wants "Food and drink · Coffee",
"retrying" and "nothing accepted the connection". The raw value stays one click away.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from urllib.parse import urlsplit

from ...core.categories import PRIMARIES, categorize
from ...core.models import WebhookAttempt, WebhookEvent
from ..blueprint import bp
from ..forms import field_message

bp.app_template_filter("field_message")(field_message)

# What each delivery state means, for the legend and the pills' titles.
STATES = {
    "queued": "waiting for its first attempt (or a redelivery's)",
    "held": "waiting until an earlier webhook of its item is delivered or fails",
    "paused": "deliveries are paused for this tenant",
    "retrying": "an attempt failed; the next one is scheduled",
    "delivered": "the receiver answered 2xx",
    "failed": "every retry failed; redeliver to try again",
    "endpoint_failing": (
        "an attempt failed and is not retried: its URL rejected over 90% of the webhooks "
        "sent to it in the last 24 hours (Plaid's rule); redeliver to try again"
    ),
    "cancelled": "not sent: its item was removed (or its webhook cleared) first",
}
# Fragments of requests/urllib3 exception text, most specific first.
FAILURES = (
    (re.compile(r"^timeout", re.I), "no reply within the time limit"),
    (re.compile(r"refused|Errno 111", re.I), "nothing accepted the connection at {host}"),
    (
        re.compile(r"Name or service not known|NameResolution|getaddrinfo|nodename", re.I),
        "the host name {host} could not be resolved",
    ),
    (re.compile(r"SSL|certificate", re.I), "the TLS handshake with {host} failed"),
    (re.compile(r"Egress|not allowed|refuses to send", re.I), "the sandbox may not send to {host}"),
    (re.compile(r"reset|aborted|RemoteDisconnected", re.I), "{host} closed the connection"),
)


def _words(code: str) -> str:
    return code.replace("_", " ").capitalize()


@bp.app_template_filter("category")
def category_label(detailed: str) -> str:
    """``FOOD_AND_DRINK_COFFEE`` as ``Food and drink · Coffee`` (a primary alone: its words)."""
    primary = detailed if detailed in PRIMARIES else categorize(detailed).primary
    rest = detailed.removeprefix(primary).lstrip("_")
    return f"{_words(primary)} · {_words(rest)}" if rest else _words(primary)


def delivery_state(event: WebhookEvent, held: set[int], paused: bool) -> str:
    """One of ``STATES``: the outbox keeps only pending/delivered/failed/endpoint_failing/
    cancelled and a count."""
    if event.status != "pending":
        return event.status
    if event.id in held:
        return "held"
    if paused:
        return "paused"
    return "retrying" if event.attempts > event.schedule_start else "queued"


@bp.app_template_filter("reason")
def attempt_reason(attempt: WebhookAttempt) -> str:
    """Why an attempt did not deliver, in a sentence (empty for a delivered one)."""
    code = attempt.status_code
    if code is not None:
        if 200 <= code < 300:
            return ""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "an unknown status"
        return f"the receiver answered {code} {phrase}"
    raw = attempt.error or ""
    host = urlsplit(attempt.event.url).netloc or "the receiver"
    for pattern, sentence in FAILURES:
        if pattern.search(raw):
            return sentence.format(host=host)
    return f"the receiver could not be reached ({host})"
