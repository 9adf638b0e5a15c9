"""Plaid's rule for an endpoint that rejects almost everything: no more retries to it.

Plaid's webhook documentation ("Webhook retries"): it won't retry webhooks once it detects
that the receiving endpoint rejected more than 90% of the webhooks sent to it over the last
24 hours. What that means here:

- The endpoint is one tenant's webhook URL (the exact string): its items' webhooks and their
  processor tokens' copies alike (unconfirmed: Plaid does not say how it keys endpoints).
- Each attempt counts once, as the attempt log holds it: one sent, and one rejected unless
  the receiver answered 2xx (an error status, a refused connection or no reply within the
  timeout). Redeliveries count too. Nothing else is stored, so dispatchers running at once
  cannot count an attempt twice (each counts what is committed, plus its own attempt).
- The window is the last 24 hours of real time, as the retries' schedule is.
- The rule needs ``minimum`` attempts in the window first (DIVERGES: Plaid names no
  minimum): one webhook's whole schedule is 7 attempts, so one failing webhook alone never
  stops the retries of anything.
- It stops retries only: a webhook's first attempt (and a redelivery by hand, which starts
  a fresh schedule) still goes out, so an endpoint that starts answering is heard at once,
  and retries come back when the rate falls back to 90% or under (accepted webhooks, or
  rejections aging out of the window). A webhook whose retry the rule stopped is
  ``endpoint_failing``: not retried, kept in the log, redeliverable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..models import WebhookAttempt, WebhookEvent

ENDPOINT_FAILING = "endpoint_failing"


@dataclass(frozen=True)
class EndpointRecord:
    """How an endpoint answered over the window: attempts made, and how many were rejected."""

    sent: int
    rejected: int


@dataclass(frozen=True)
class RejectionRule:
    """When retries to an endpoint stop: over ``percent`` of at least ``minimum`` attempts
    in the last ``window`` were rejected."""

    percent: int = 90
    window: dt.timedelta = dt.timedelta(hours=24)
    minimum: int = 10

    def stops_retries(self, session: Session, tenant_id: int, url: str, now: dt.datetime) -> bool:
        """Whether a retry to ``url`` of the tenant is not to be made at ``now``."""
        record = endpoint_record(session, tenant_id, url, now - self.window)
        return self.trips(record)

    def trips(self, record: EndpointRecord) -> bool:
        """Whether ``record`` is over the threshold (integers: 9 of 10 is not over 90%)."""
        return record.sent >= self.minimum and record.rejected * 100 > self.percent * record.sent


PLAIDS_RULE = RejectionRule()


def endpoint_record(
    session: Session, tenant_id: int, url: str, since: dt.datetime
) -> EndpointRecord:
    """The attempts to ``url`` of the tenant that started after ``since`` (the session's own
    attempt not committed yet included)."""
    accepted = and_(WebhookAttempt.status_code >= 200, WebhookAttempt.status_code < 300)
    rejected = or_(WebhookAttempt.status_code.is_(None), ~accepted)
    row = session.execute(
        select(func.count(), func.count().filter(rejected))
        .select_from(WebhookAttempt)
        .join(WebhookEvent, WebhookEvent.id == WebhookAttempt.event_id)
        .where(
            WebhookEvent.tenant_id == tenant_id,
            WebhookEvent.url == url,
            WebhookAttempt.started_at > since,
        )
    ).one()
    return EndpointRecord(sent=row[0], rejected=row[1])
