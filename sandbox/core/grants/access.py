"""What a bearer token grants: ``resolve_access`` finds the tenant, the consent and the item.

Used by the data API before it knows the tenant: the token alone decides. Consent is
checked before the token's own lifetime, so an app whose consent ended hears that (and
not merely "token expired", which would send it round a refresh that must fail too).
``claim`` marks a single-use row (code, refresh token, link) used: one caller wins a race.

A token belongs to a refresh chain (the code whose exchange began it) and works only while
that chain is its consent's: exchanging a renewal's code moves the consent to the new chain,
and presenting a used code again ends its chain (``end_chain``), whatever tokens it already
rotated into, or is rotating into at that moment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, update
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from .. import keyring, tenants
from ..errors import ConsentExpired, ConsentRevoked, GrantInvalid, TokenExpired, TokenInvalid
from ..models import Consent, GrantToken, Item, Tenant

AUTHORISED = "authorised"
REVOKED = "revoked"
EXPIRED = "expired"
ACCESS = "access"
REFRESH = "refresh"
ENDED = "ended"  # a consent's chain once its code was presented again: no token has it


@dataclass(frozen=True)
class Grant:
    """An app's live, consented access to one item, as a bearer token shows it."""

    tenant: Tenant
    item: Item
    consent_id: str
    credentials_id: str
    client_id: str
    scopes: frozenset[str]
    created_at: dt.datetime
    expires_at: dt.datetime
    status: str
    status_updated_at: dt.datetime
    institution_id: str


def resolve_access(session: Session, bearer_token: str | None) -> Grant:
    """The grant behind an access token, or the domain error that says why there is none."""
    row = find_token(session, bearer_token, ACCESS)
    if row is None:
        raise TokenInvalid(field="access_token")
    consent = row.consent
    now = tenants.clock_of(consent.tenant).now()
    check_live(consent, now)
    assert row.expires_at is not None  # access tokens always have a lifetime
    if row.expires_at <= now:
        raise TokenExpired(expired_at=row.expires_at)
    return grant_of(consent)


def grant_of(consent: Consent) -> Grant:
    """A consent as the value dialects read."""
    return Grant(
        tenant=consent.tenant,
        item=consent.item,
        consent_id=consent.id,
        credentials_id=consent.credentials_id,
        client_id=consent.client_id,
        scopes=frozenset(consent.scopes),
        created_at=consent.created_at,
        expires_at=consent.expires_at,
        status=consent.status,
        status_updated_at=consent.status_updated_at,
        institution_id=consent.item.institution_id,
    )


def status_at(consent: Consent, now: dt.datetime) -> str:
    """The consent's status at ``now`` (an authorised one past its end is expired)."""
    if consent.status == REVOKED or consent.item.removed_at is not None:
        return REVOKED if consent.status == REVOKED else EXPIRED
    if consent.status == EXPIRED or consent.expires_at <= now:
        return EXPIRED
    return AUTHORISED


def check_live(consent: Consent, now: dt.datetime) -> None:
    """Raise unless the consent still grants access at ``now``."""
    status = status_at(consent, now)
    if status == REVOKED:
        raise ConsentRevoked()
    if status == EXPIRED:
        raise ConsentExpired(expired_at=consent.expires_at)


def consent_of_refresh_token(session: Session, refresh_token: str | None) -> Consent:
    """The connection a live refresh token belongs to (re-authentication links start here)."""
    row = find_token(session, refresh_token, REFRESH)
    if row is None or status_at(row.consent, tenants.clock_of(row.consent.tenant).now()) == REVOKED:
        raise GrantInvalid(field="refresh_token")
    return row.consent


def find_token(session: Session, token: str | None, kind: str) -> GrantToken | None:
    """The live stored token of ``kind`` whose keyed hash matches ``token``: not revoked, and
    of its consent's current chain."""
    if not token or len(token) > 4096:
        return None
    row = session.get(GrantToken, keyring.for_session(session).digest(token))
    if row is None or row.kind != kind or row.revoked_at is not None:
        return None
    return row if row.chain == row.consent.chain else None


def end_chain(session: Session, consent_pk: int, chain: str) -> None:
    """Stop every token of ``chain`` if it is still the consent's (a code presented again).

    The exchange that began the chain has committed by now (a racing one's ``claim`` of the
    code waited for it), so the tokens it issued die too, and those rotated from them later.
    A consent whose chain is NULL has exchanged no code since the upgrade that brought chains
    (migration 4797b99cb507): its tokens are from before it and name no chain, so they count
    as one, ended by any of its used codes, lest a code from before stay replayable for good.
    """
    session.execute(
        update(Consent)
        .where(Consent.pk == consent_pk, or_(Consent.chain == chain, Consent.chain.is_(None)))
        .values(chain=ENDED)
        .execution_options(synchronize_session="fetch")
    )


def claim(
    session: Session,
    column: InstrumentedAttribute[dt.datetime | None],
    where: ColumnElement[bool],
    now: dt.datetime,
) -> bool:
    """Set ``column`` (a NULL "used/revoked at") to ``now`` if still NULL: one caller wins."""
    result = session.execute(
        update(column.class_)
        .where(where, column.is_(None))
        .values({column: now})
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of an UPDATE
