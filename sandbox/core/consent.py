"""OAuth consent lifecycle: expiry dates, the warning webhook ahead of them, and expiry.

UK/EU open-banking consent lasts 90 days (PSD2); ``PENDING_EXPIRATION`` warns 7 days
ahead (``advance``). US/CA OAuth tokens get a longer life and warn with
``PENDING_DISCONNECT``. Once the clock passes the date the item goes to
``ITEM_LOGIN_REQUIRED`` (stored in ``Item.error_code``, so it survives restarts) and an
``ITEM``/``ERROR`` webhook is queued; update mode renews the consent.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from . import errors, institutions, items
from .institutions import Institution
from .models import Item, Tenant
from .webhooks import triggers
from .webhooks.outbox import emit

EU_COUNTRIES = frozenset(
    {"GB", "IE", "FR", "DE", "NL", "ES", "IT", "BE", "AT", "PT", "DK", "SE", "NO", "FI", "PL"}
)
EU_CONSENT = dt.timedelta(days=90)
# DIVERGES: Plaid documents no fixed lifetime for US OAuth tokens; a year makes the
# PENDING_DISCONNECT path reachable by advancing the clock.
US_CONSENT = dt.timedelta(days=365)
NOTICE = dt.timedelta(days=7)
# Plaid's ``error_code_reason`` of an ITEM_LOGIN_REQUIRED that the consent's end caused.
EXPIRED_REASON = "OAUTH_CONSENT_EXPIRED"


def expiry_for(institution: Institution, now: dt.datetime) -> dt.datetime | None:
    """When consent given ``now`` at ``institution`` ends (None: no OAuth, no expiry)."""
    if not institution.oauth:
        return None
    return now + (EU_CONSENT if uses_expiration_notice(institution) else US_CONSENT)


def uses_expiration_notice(institution: Institution) -> bool:
    """UK/EU items warn with ``PENDING_EXPIRATION``; US/CA ones with ``PENDING_DISCONNECT``."""
    return institution.country in EU_COUNTRIES


def advance(
    session: Session, tenant: Tenant, item: Item, since: dt.datetime, now: dt.datetime
) -> None:
    """Bring one item's consent from ``since`` to ``now`` (a clock move): the warning, then
    expiry. The days in between happened, so a move across the whole notice (or past the
    end) still warns first, as real time would have, unless the consent had ended already."""
    expires = item.consent_expires_at
    if expires is None or item.removed_at is not None:
        return
    if since < expires <= now + NOTICE:
        _warn_expiring(session, tenant, item, expires)
    expire_if_due(session, tenant, item, now)


def data_through(item: Item, today: dt.date) -> dt.date:
    """The last day the bank shares the item's data: ``today``, or the last day of a consent
    that has ended (nothing is read once it ends; the item is waiting for update mode)."""
    expires = item.consent_expires_at
    if expires is None:
        return today
    return min(today, (expires - dt.timedelta(microseconds=1)).date())


def due(item: Item, now: dt.datetime) -> bool:
    """Whether ``expire_if_due`` would change the item now."""
    expires = item.consent_expires_at
    return expires is not None and expires <= now and item.error_code is None


def expire_if_due(session: Session, tenant: Tenant, item: Item, now: dt.datetime) -> bool:
    """Put a healthy item whose consent has ended into ``ITEM_LOGIN_REQUIRED``."""
    if not due(item, now):
        return False
    items.set_error(item, errors.LoginRequired.condition)
    triggers.item_error(session, tenant, item, errors.LoginRequired(reason=EXPIRED_REASON))
    return True


def error_reason(item: Item, now: dt.datetime) -> str | None:
    """The ``error_code_reason`` of the item's error: ``OAUTH_CONSENT_EXPIRED`` for a login
    required once its consent has ended, as Plaid says of OAuth items; None otherwise."""
    expires = item.consent_expires_at
    ended = expires is not None and expires <= now
    return EXPIRED_REASON if ended and item.error_code == errors.LoginRequired.condition else None


def renew(item: Item, now: dt.datetime) -> None:
    """Update mode re-consented: a fresh period from ``now``."""
    item.consent_expires_at = expiry_for(institutions.get(item.institution_id), now)


def _warn_expiring(session: Session, tenant: Tenant, item: Item, expires: dt.datetime) -> None:
    """UK/EU items: ``PENDING_EXPIRATION``; US/CA OAuth items: ``PENDING_DISCONNECT``."""
    if uses_expiration_notice(institutions.get(item.institution_id)):
        payload: dict[str, object] = {"consent_expiration_time": expires}
        _warn(session, tenant, item, "PENDING_EXPIRATION", payload)
    else:
        payload = {"reason": "INSTITUTION_TOKEN_EXPIRATION", "disconnect_time": expires}
        _warn(session, tenant, item, "PENDING_DISCONNECT", payload)


def _warn(
    session: Session, tenant: Tenant, item: Item, code: str, payload: dict[str, object]
) -> None:
    """Queue the expiry warning ``code`` once per consent period: keyed by the expiry it
    warns of, so a renewed consent warns again and a fired test webhook does not count."""
    if item.consent_warned_for == item.consent_expires_at:
        return
    item.consent_warned_for = item.consent_expires_at
    emit(session, tenant, item, "ITEM", code, payload)
