"""The webhook outbox: the catalogue of events and ``emit``, which queues one event in the
caller's transaction so a webhook exists exactly when the change that caused it is committed.
The body is worded by the renderer the sending dialect installed (``use_renderer``).

Delivery (signing, retries, ordering) lives in ``dispatch``; this module only writes rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Exists, delete, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from ..clock import Clock
from ..errors import InvalidField, NotFound
from ..models import (
    NEVER,
    AssetReport,
    CaughtWebhook,
    Item,
    ProcessorToken,
    Tenant,
    WebhookEvent,
    WebhookPause,
)
from ..tenants import clock_of
from .signing import RequestSignature

CATALOGUE: dict[str, frozenset[str]] = {
    "TRANSACTIONS": frozenset(
        {
            "SYNC_UPDATES_AVAILABLE",
            "INITIAL_UPDATE",
            "HISTORICAL_UPDATE",
            "DEFAULT_UPDATE",
            "TRANSACTIONS_REMOVED",
            "RECURRING_TRANSACTIONS_UPDATE",
        }
    ),
    "ITEM": frozenset(
        {
            "ERROR",
            "LOGIN_REPAIRED",
            "PENDING_EXPIRATION",
            "PENDING_DISCONNECT",
            "USER_PERMISSION_REVOKED",
            "USER_ACCOUNT_REVOKED",
            "WEBHOOK_UPDATE_ACKNOWLEDGED",
            "NEW_ACCOUNTS_AVAILABLE",
        }
    ),
    "LINK": frozenset({"SESSION_FINISHED", "ITEM_ADD_RESULT", "EVENTS"}),
    "PROCESSOR_TOKEN": frozenset({"WEBHOOK_UPDATE_ACKNOWLEDGED"}),
    "AUTH": frozenset(
        {
            "DEFAULT_UPDATE",
            "AUTOMATICALLY_VERIFIED",
            "VERIFICATION_EXPIRED",
            "SMS_MICRODEPOSITS_VERIFICATION",
        }
    ),
    **{kind: frozenset({"DEFAULT_UPDATE"}) for kind in ("HOLDINGS", "LIABILITIES", "IDENTITY")},
    "INVESTMENTS_TRANSACTIONS": frozenset({"DEFAULT_UPDATE", "HISTORICAL_UPDATE"}),
    "ASSETS": frozenset({"PRODUCT_READY", "ERROR"}),
    "STATEMENTS": frozenset({"STATEMENTS_REFRESH_COMPLETE"}),
}


# A dialect's webhook body: (type, code, item id, facts) -> the exact text to sign and send.
Renderer = Callable[[str, str, str | None, dict[str, Any]], str]
_renderers: list[Renderer] = []


def use_renderer(renderer: Renderer) -> None:
    """The dialect that sends webhooks hands the outbox its body renderer (once, at import)."""
    _renderers[:] = [renderer]


def _render(
    webhook_type: str, webhook_code: str, item_id: str | None, facts: dict[str, Any]
) -> str:
    if not _renderers:
        raise RuntimeError("no dialect installed a webhook renderer (import sandbox.plaid)")
    return _renderers[0](webhook_type, webhook_code, item_id, facts)


def emit(
    session: Session,
    tenant: Tenant,
    item: Item | None,
    webhook_type: str,
    webhook_code: str,
    facts: dict[str, Any],
    *,
    url: str | None = None,
    partner: ProcessorToken | None = None,
    report: AssetReport | None = None,
    delay: dt.timedelta = dt.timedelta(0),
) -> WebhookEvent | None:
    """Queue a webhook to ``url`` (default: the item's) in the caller's transaction.

    ``facts`` holds the keys beyond type, code and item id (values may be a ``CoreError``
    or a ``datetime``; the dialect's renderer words them, and fixes the body bytes now). Nothing is
    queued when there is no URL, as Plaid sends nothing to an item without a webhook.
    ``partner``: the webhook goes to that processor token's URL instead, without the item's id
    (a partner knows only its account). ``report``: the Asset report an item-less ``ASSETS``
    webhook announces (removing the report's last item cancels it). ``delay`` holds the event
    back for that long of the tenant's clock (``HISTORICAL_UPDATE`` comes after the initial
    pull, when ``/transactions/get`` stops answering ``PRODUCT_NOT_READY``): on a frozen
    clock, until the clock is moved there (``follow_clock``).
    """
    if partner is not None:
        target = partner.webhook
    else:
        target = url or (item.webhook if item is not None else None)
    if not target:
        return None
    if webhook_code not in CATALOGUE.get(webhook_type, frozenset()):
        raise ValueError(f"not a webhook the outbox knows: {webhook_type}/{webhook_code}")
    now = dt.datetime.now(dt.UTC)
    clock = clock_of(tenant)
    held_until = clock.now() + delay if delay > dt.timedelta(0) else None
    event = WebhookEvent(
        tenant_id=tenant.id,
        item=item,
        processor_token=partner.token if partner is not None else None,
        url=target,
        webhook_type=webhook_type,
        webhook_code=webhook_code,
        body=_render(webhook_type, webhook_code, _item_id(item, partner), facts),
        status="pending",
        attempts=0,
        schedule_start=0,
        next_attempt_at=now if held_until is None else _due(clock, held_until),
        held_until=held_until,
        created_at=now,
        asset_report_id=report.report_id if report is not None else None,
    )
    session.add(event)
    session.flush()
    return event


def emit_worded(
    session: Session,
    tenant: Tenant,
    item: Item,
    url: str,
    kind: tuple[str, str],
    body: str,
    signature: RequestSignature,
) -> WebhookEvent:
    """Queue a webhook a dialect worded itself (``body``, sent as it is) and signs its own way
    (``signature``), in the caller's transaction; ``kind`` is the (type, code) the outbox
    lists it under. It keeps the item's order and is cancelled with the item, as every
    webhook of an item is."""
    now = dt.datetime.now(dt.UTC)
    event = WebhookEvent(
        tenant_id=tenant.id,
        item=item,
        url=url,
        webhook_type=kind[0],
        webhook_code=kind[1],
        body=body,
        status="pending",
        attempts=0,
        schedule_start=0,
        next_attempt_at=now,
        created_at=now,
        signature=signature.as_json(),
    )
    session.add(event)
    session.flush()
    return event


def follow_clock(session: Session, tenant: Tenant, clock: Clock) -> None:
    """The tenant's clock was moved, frozen or let run: webhooks held back on it (``delay``:
    the historical delay, an Asset report being built) come due when it shows their instant,
    so each goes out as what it announces becomes true (``/transactions/get`` answering).

    Once claimed an event is no longer held; retries keep their schedule, which is real
    time, as Plaid's is.
    """
    held_back = select(WebhookEvent).where(
        WebhookEvent.tenant_id == tenant.id,
        WebhookEvent.status == "pending",
        WebhookEvent.held_until.is_not(None),
    )
    for event in session.scalars(held_back):
        assert event.held_until is not None  # the query's condition
        event.next_attempt_at = _due(clock, event.held_until)


def retarget_held(
    session: Session, item: Item, partner: ProcessorToken | None, url: str | None
) -> None:
    """The item's webhook URL (or ``partner``'s) changed: webhooks held back on the tenant clock
    have not happened yet, so they go to ``url`` when they do, or nowhere once it is cleared:
    ``cancelled``, kept in the log (retries keep the URL they were tried at)."""
    held_back = select(WebhookEvent).where(
        WebhookEvent.item_pk == item.pk,
        WebhookEvent.processor_token.is_not_distinct_from(
            None if partner is None else partner.token
        ),
        WebhookEvent.status == "pending",
        WebhookEvent.held_until.is_not(None),
    )
    for event in session.scalars(held_back):
        if url:
            event.url = url
        else:
            event.status = "cancelled"


def cancel_removed(session: Session, item: Item) -> None:
    """``item`` was just removed: its webhooks not sent yet (held back, queued, retrying; its
    processor tokens' copies too) are ``cancelled``, as Plaid sends nothing about a removed
    item; so are those of Asset reports whose every item is now removed. They stay in the log.

    An attempt already on the wire finishes and is logged as what it was (delivered or not).
    """
    reports = session.scalars(
        select(AssetReport).where(
            AssetReport.tenant_id == item.tenant_id, AssetReport.removed_at.is_(None)
        )
    )
    orphaned = [r.report_id for r in reports if item.pk in r.item_pks and _all_removed(session, r)]
    session.execute(
        update(WebhookEvent)
        .where(
            WebhookEvent.tenant_id == item.tenant_id,
            WebhookEvent.status == "pending",
            or_(WebhookEvent.item_pk == item.pk, WebhookEvent.asset_report_id.in_(orphaned)),
        )
        .values(status="cancelled")
        .execution_options(synchronize_session="fetch")
    )


def _all_removed(session: Session, report: AssetReport) -> bool:
    """Whether every item of ``report`` is removed (or gone)."""
    live = select(Item.pk).where(Item.pk.in_(report.item_pks), Item.removed_at.is_(None))
    return session.scalar(live.limit(1)) is None


def _due(clock: Clock, held_until: dt.datetime) -> dt.datetime:
    """When an event held until ``held_until`` of ``clock`` is due, in real time."""
    return clock.reaches(held_until) or NEVER


def _item_id(item: Item | None, partner: ProcessorToken | None) -> str | None:
    """The ``item_id`` a body names: none for a tenant-wide webhook or a partner's copy."""
    return item.id if item is not None and partner is None else None


# -- the outbox as the control API shows it --------------------------------------------------


def events(
    session: Session,
    tenant: Tenant,
    *,
    status: str | None = None,
    item_id: str | None = None,
    limit: int = 100,
) -> list[WebhookEvent]:
    """The tenant's webhook events, newest first, optionally filtered."""
    query = select(WebhookEvent).where(WebhookEvent.tenant_id == tenant.id)
    if status is not None:
        query = query.where(WebhookEvent.status == status)
    if item_id is not None:
        query = query.join(WebhookEvent.item).where(Item.id == item_id)
    return list(session.scalars(query.order_by(WebhookEvent.id.desc()).limit(limit)))


def held(session: Session, tenant: Tenant, event_ids: list[int]) -> set[int]:
    """Which of ``event_ids`` are pending behind an earlier pending event of their item (the
    dispatcher keeps each item's webhooks in order, so these wait for that one)."""
    query = select(WebhookEvent.id).where(
        WebhookEvent.tenant_id == tenant.id,
        WebhookEvent.id.in_(event_ids),
        WebhookEvent.status == "pending",
        behind_earlier(),
    )
    return set(session.scalars(query))


def behind_earlier() -> Exists:
    """An event's item has an earlier event still pending to the same receiver, the app or
    one partner, at the same URL (per-item order holds it back; a partner never waits for the
    app, and a URL set by ``/item/webhook/update`` never waits for retries due at the old one).

    An earlier event held back on the tenant clock (``HISTORICAL_UPDATE`` waiting out the
    historical delay) has not happened yet: it holds back only what is due after it (nothing,
    while a frozen clock holds it: its time is ``NEVER``). Once claimed it is held back no
    more, so an attempt on the wire holds back everything after it.
    """
    earlier = aliased(WebhookEvent)
    return exists().where(
        earlier.item_pk == WebhookEvent.item_pk,
        earlier.processor_token.is_not_distinct_from(WebhookEvent.processor_token),
        earlier.url == WebhookEvent.url,
        earlier.id < WebhookEvent.id,
        earlier.status == "pending",
        or_(
            earlier.held_until.is_(None),
            earlier.next_attempt_at <= WebhookEvent.next_attempt_at,
        ),
    )


def event(session: Session, tenant: Tenant, event_id: int) -> WebhookEvent:
    """One of the tenant's events, or ``NotFound``."""
    found = session.get(WebhookEvent, event_id)
    if found is None or found.tenant_id != tenant.id:
        raise NotFound(f"no webhook event {event_id}", field="event_id")
    return found


def redeliver(session: Session, tenant: Tenant, event_id: int) -> WebhookEvent:
    """Send an event again now, with a fresh retry schedule.

    Its attempts are kept and counted on (a redelivery is one more attempt, as its log shows);
    the schedule starts after them. Until the new attempt, it is queued, not delivered.
    One cancelled with its item is not sent: nothing goes out about a removed item.
    """
    found = event(session, tenant, event_id)
    if found.status == "cancelled":
        raise InvalidField(
            f"webhook {event_id} was cancelled: its item was removed, or its webhook "
            "cleared, before it went out, so it is not sent",
            field="event_id",
        )
    found.status = "pending"
    found.schedule_start = found.attempts
    found.next_attempt_at = dt.datetime.now(dt.UTC)
    found.held_until = None  # now means now, whatever the tenant clock shows
    found.delivered_at = None
    return found


def is_paused(session: Session, tenant: Tenant) -> bool:
    """Whether the tenant's deliveries are on hold."""
    return session.get(WebhookPause, tenant.id) is not None


def set_paused(session: Session, tenant: Tenant, paused: bool) -> None:
    """Hold (or release) the tenant's deliveries; events keep queueing meanwhile."""
    row = session.get(WebhookPause, tenant.id)
    if paused and row is None:
        session.add(WebhookPause(tenant_id=tenant.id, paused_at=dt.datetime.now(dt.UTC)))
    elif not paused and row is not None:
        session.delete(row)
    session.flush()


# -- the built-in catcher: a receiver for demos ----------------------------------------------


@dataclass(frozen=True)
class CatcherQuota:
    """How much the unauthenticated catcher keeps: the newest rows per catcher and in all."""

    keep: int = 100
    keep_all: int = 1000


# Request headers that carry credentials (``Authorization``, ``Cookie``, ``PLAID-SECRET``,
# ``PLAID-CLIENT-ID``, ``X-Api-Key``, ``X-Auth-Token``, ...): anyone may post to the catcher,
# an API call sent there by mistake included, and anyone with its name reads it back.
_CREDENTIAL_HEADER = re.compile(
    r"auth|cookie|secret|passw|token|api-?key|client-?id|credential|session", re.IGNORECASE
)
REDACTED = "[redacted]"


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` with every credential's value replaced by ``REDACTED``, names kept (so a
    developer still sees that it was sent); ``Plaid-Verification``, a signature, stays."""
    return {
        name: REDACTED if _CREDENTIAL_HEADER.search(name) else value
        for name, value in headers.items()
    }


def catch(
    session: Session,
    name: str,
    headers: Mapping[str, str],
    body: str,
    quota: CatcherQuota = CatcherQuota(),
) -> CaughtWebhook:
    """Store a webhook that arrived at ``/control/webhook-catcher/<name>`` (its credentials'
    values redacted), then prune."""
    row = CaughtWebhook(
        name=name,
        received_at=dt.datetime.now(dt.UTC),
        headers=redact_headers(headers),
        body=body,
    )
    session.add(row)
    session.flush()
    _prune(session, CaughtWebhook.name == name, quota.keep)
    _prune(session, None, quota.keep_all)
    return row


def _prune(session: Session, where: Any, keep: int) -> None:
    """Delete all but the newest ``keep`` caught webhooks (of one catcher, or of all)."""
    newest = select(CaughtWebhook.id).order_by(CaughtWebhook.id.desc()).offset(keep).limit(1)
    if where is not None:
        newest = newest.where(where)
    cutoff = session.scalar(newest)
    if cutoff is not None:
        stale = delete(CaughtWebhook).where(CaughtWebhook.id <= cutoff)
        session.execute(stale if where is None else stale.where(where))


def caught(session: Session, name: str, limit: int = 100) -> list[CaughtWebhook]:
    """What the catcher ``name`` received, oldest first (the last ``limit``)."""
    rows = session.scalars(
        select(CaughtWebhook)
        .where(CaughtWebhook.name == name)
        .order_by(CaughtWebhook.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))


def clear_caught(session: Session, name: str) -> None:
    """Empty the catcher ``name``."""
    session.execute(delete(CaughtWebhook).where(CaughtWebhook.name == name))
