"""Tenants: API keys (client_id + keyed hash of the secret), seed and clock per key holder."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from . import calls, keyring
from .calls import Called
from .clock import Clock
from .errors import InvalidApiKeys
from .faults import rules as fault_rules
from .models import AssetReport, Item, LinkToken, Tenant, WebhookEvent
from .prepared import Prepared


@dataclass(frozen=True)
class Keys:
    """A tenant's credentials as shown once to its owner."""

    client_id: str
    secret: str


def hash_secret(session: Session, secret: str) -> str:
    """The keyed hash stored for a secret (random 120-bit strings need no slow KDF)."""
    return keyring.for_session(session).digest(secret)


def new_keys() -> Keys:
    """Random keys in Plaid's shapes (24 and 30 hex characters)."""
    return Keys(secrets.token_hex(12), secrets.token_hex(15))


def create(
    session: Session,
    name: str,
    seed: int,
    *,
    client_id: str | None = None,
    secret: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[Tenant, Keys]:
    """A new tenant; random keys unless given (``SANDBOX_CLIENT_ID``/``SANDBOX_SECRET``)."""
    generated = new_keys()
    keys = Keys(client_id or generated.client_id, secret or generated.secret)
    tenant = Tenant(
        client_id=keys.client_id,
        secret_hash=hash_secret(session, keys.secret),
        name=name,
        seed=seed,
        created_at=now or dt.datetime.now(dt.UTC),
        clock_offset_seconds=0,
        item_counter=0,
    )
    session.add(tenant)
    session.flush()
    return tenant, keys


# Built once: every authenticated call runs it. Plain columns: a row costs a fraction of an
# ORM object, and a call that changes the tenant loads that (``Bank.tenant``).
_TENANTS = Tenant.__table__
_BY_CLIENT_ID = Prepared(select(*_TENANTS.c).where(_TENANTS.c.client_id == bindparam("client_id")))


def authenticate(session: Session, client_id: str | None, secret: str | None) -> Tenant:
    """The tenant these keys belong to, or ``InvalidApiKeys``.

    A read-only row with the tenant's columns under their names (``id``, ``seed``, clock…),
    which is all most calls read; ``Bank`` loads the tenant itself when a call changes it.
    """
    if not client_id or not secret:
        raise InvalidApiKeys()
    found: Tenant | None = _BY_CLIENT_ID.first(session, {"client_id": client_id})
    return _admitted(session, found, secret)


def authenticate_call(
    session: Session,
    client_id: str | None,
    secret: str | None,
    access_token: str,
    *,
    with_accounts: bool = False,
) -> tuple[Tenant, Called | None]:
    """``authenticate``, and what the call's ``access_token`` resolves to (``calls.resolve``),
    with its item's accounts if ``with_accounts``, read in the same statement. Wrong keys are
    ``InvalidApiKeys`` whatever the token."""
    if not client_id or not secret:
        raise InvalidApiKeys()
    found, called = calls.with_tenant(session, client_id, access_token, with_accounts=with_accounts)
    return _admitted(session, found, secret), called


def _admitted(session: Session, found: Tenant | None, secret: str) -> Tenant:
    """``found`` (the tenant a call named by its ``client_id``) if ``secret`` is its secret,
    else ``InvalidApiKeys``; a secret under an older, unkeyed hash is stored keyed."""
    keys = keyring.for_session(session)
    if found is None or not keys.matches(found.secret_hash, secret):
        raise InvalidApiKeys()
    if not found.secret_hash.startswith(keyring.DIGEST_PREFIX):
        tenant = session.get(Tenant, found.id)  # an unkeyed hash from before: upgrade it
        if tenant is not None:
            tenant.secret_hash = keys.digest(secret)
    return found


def clock_of(tenant: Tenant) -> Clock:
    """The tenant's clock as a value object (of the tenant or of its row)."""
    return Clock(frozen_at=tenant.clock_frozen_at, offset_seconds=tenant.clock_offset_seconds)


def lock_clock(session: Session, tenant: Tenant) -> None:
    """Hold the tenant's row for this transaction and reload its clock. A move computes its
    target from the stored clock: two moves reading it before either committed would both
    land on the same instant, one day of two lost."""
    session.refresh(
        tenant,
        attribute_names=["clock_frozen_at", "clock_offset_seconds"],
        with_for_update={"key_share": True},
    )


def store_clock(tenant: Tenant, clock: Clock) -> None:
    """Persist a changed clock on the tenant."""
    tenant.clock_frozen_at = clock.frozen_at
    tenant.clock_offset_seconds = clock.offset_seconds


def hold_clock(session: Session, tenant: Tenant, seen: Clock) -> bool:
    """Whether the stored clock is still ``seen``, holding the tenant's row for this
    transaction's move if so. A conditional UPDATE, not a read: two requests that saw the
    same clock (a double click) both read it unmoved, but only the first one's UPDATE matches;
    the second waits for its commit, then matches nothing."""
    frozen = (
        Tenant.clock_frozen_at.is_(None)
        if seen.frozen_at is None
        else Tenant.clock_frozen_at == seen.frozen_at
    )
    held = session.execute(
        update(Tenant)
        .where(Tenant.id == tenant.id, Tenant.clock_offset_seconds == seen.offset_seconds, frozen)
        .values(clock_offset_seconds=Tenant.clock_offset_seconds)
        .execution_options(synchronize_session=False)
    )
    return bool(held.rowcount == 1)  # type: ignore[attr-defined]


def reset(session: Session, tenant: Tenant) -> None:
    """Forget every item, link token, webhook and clock change of ``tenant``; keys stay valid."""
    session.execute(delete(Item).where(Item.tenant_id == tenant.id))  # rows below cascade
    session.execute(delete(LinkToken).where(LinkToken.tenant_id == tenant.id))
    session.execute(delete(AssetReport).where(AssetReport.tenant_id == tenant.id))
    # Webhooks about no item (an Asset report's PRODUCT_READY): a reset tenant's next test
    # must not receive one about a report that is gone.
    session.execute(delete(WebhookEvent).where(WebhookEvent.tenant_id == tenant.id))
    fault_rules.reset(session, tenant)  # rules, health overrides, request log
    session.expire(tenant, ["items"])
    tenant.item_counter = 0
    store_clock(tenant, Clock())
