"""Re-consent links: the dialog links that renew a connection (extension's ``user_input_link``).

TrueLayer's auth links are single-use (truelayer.md §2.1). A link carries a random token,
stored as a keyed hash with the consent it renews and whether the user signs in again.
Opening the link claims it, so a second opening is refused; the Allow that issues its code
claims it again, so a replayed dialog cannot issue a second code either: one link, one
code, one refresh chain.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy.orm import InstrumentedAttribute, Session

from .. import keyring
from ..errors import LinkInvalid
from ..models import AppClient, Consent, ReconsentLink
from .access import claim


def issue(session: Session, consent: Consent, *, reauthenticate: bool, now: dt.datetime) -> str:
    """A new link's token for renewing ``consent`` (returned once, stored hashed)."""
    token = secrets.token_urlsafe(24)
    session.add(
        ReconsentLink(
            token=keyring.for_session(session).digest(token),
            consent_pk=consent.pk,
            reauthenticate=reauthenticate,
            created_at=now,
            opened_at=None,
            used_at=None,
        )
    )
    session.flush()
    return token


def find(session: Session, client: AppClient, token: str) -> ReconsentLink:
    """``client``'s link by its token (another app's, or an unknown one, is ``LinkInvalid``)."""
    row = session.get(ReconsentLink, keyring.for_session(session).digest(token)) if token else None
    if row is None or row.consent.client_id != client.client_id:
        raise LinkInvalid(field="reconsent_token")
    return row


def claim_link(
    session: Session,
    row: ReconsentLink,
    column: InstrumentedAttribute[dt.datetime | None],
    now: dt.datetime,
) -> None:
    """Mark the link opened or used (``column``), or ``LinkInvalid`` if it already was."""
    if not claim(session, column, ReconsentLink.token == row.token, now):
        raise LinkInvalid(field="reconsent_token")
