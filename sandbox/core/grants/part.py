"""``bank.grants``: one tenant's apps, the connections users consent to, and their tokens.

The auth dialog ends in :meth:`Grants.connect` (a new item and its consent) or
:meth:`Grants.reconsent` (the same connection for a fresh period, through a single-use
link: ``links``); both hand back a single-use code. The token endpoint trades a code or a
refresh token for a token set; refresh tokens rotate and die with their consent. Each code's
exchange begins a refresh chain and makes it the consent's only live one: after a renewal
through a link, the tokens from before it stop working, and a code presented again ends the
chain it began (RFC 6749 §4.1.2). Times are the tenant's clock.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from .. import institutions, keyring
from ..errors import (
    AuthorizationCodeInvalid,
    ConsentExpired,
    ConsentNotExtendable,
    ConsentRevoked,
    GrantInvalid,
    InvalidCredentials,
    InvalidField,
    LinkInvalid,
)
from ..institutions import Institution
from ..models import AppClient, Consent, GrantCode, GrantToken, ReconsentLink
from ..seeding import make_id
from ..users import Login
from . import clients, links, signing
from .access import (
    ACCESS,
    AUTHORISED,
    REFRESH,
    REVOKED,
    check_live,
    claim,
    end_chain,
    find_token,
    status_at,
)
from .clients import UNCHANGED, Unchanged

if TYPE_CHECKING:
    from ..bank import Bank

CODE_TTL = dt.timedelta(minutes=5)
# How long after its consent ended a connection can still be renewed (re-authentication or
# extension): TrueLayer's "up to 90 days after their associated refresh token expires".
RENEWAL_GRACE = dt.timedelta(days=90)
# Where connections can be renewed at all: "Reauthentication is currently only supported for
# UK providers" (TrueLayer's /v1/reauthuri; /data/v1/connections/extend is UK-only too).
RENEWABLE_COUNTRIES = frozenset({"GB"})
ACCESS_TTL = dt.timedelta(hours=1)
OFFLINE_ACCESS = "offline_access"
# What extending a connection does (``extend``): TrueLayer's three outcomes.
RENEWED = "renewed"
AUTHENTICATION_NEEDED = "authentication_needed"
RECONFIRMATION_NEEDED = "reconfirmation_needed"


@dataclass(frozen=True)
class Issuer:
    """Who issues tokens: the auth server's URL (``iss``) and its names for banks."""

    url: str
    connector_of: Callable[[str], str]


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint returns (``refresh_token`` only with ``offline_access``)."""

    access_token: str
    expires_in: int
    refresh_token: str | None
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Extension:
    """The outcome of extending a connection, with new tokens when it was renewed."""

    action: str
    consent: Consent
    tokens: TokenSet | None = None


class Grants:
    """``bank.grants``: the tenant's app clients, consents, codes and tokens."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.session = bank.session
        self.tenant = bank.tenant

    # -- app clients ----------------------------------------------------------------------

    def clients(self) -> list[AppClient]:
        """The tenant's clients, its own (its API keys) first."""
        return clients.of_tenant(self.session, self.tenant)

    def client(self, client_id: str) -> AppClient:
        """One of the tenant's clients (``sandbox-`` prefix optional)."""
        found = clients.find(self.session, client_id)
        if found.tenant_id != self.tenant.id:
            raise InvalidField(f"unknown client_id {client_id}", field="client_id")
        return found

    def register_client(
        self,
        redirect_uris: list[str],
        *,
        name: str = "app",
        consent_days: int = 90,
        display_name: str | None = None,
    ) -> tuple[AppClient, str]:
        """A new client with its own secret (returned once)."""
        return clients.register(
            self.session,
            self.tenant,
            redirect_uris,
            name=name,
            consent_days=consent_days,
            display_name=display_name,
        )

    def update_client(
        self,
        client_id: str,
        *,
        add_redirect_uris: Sequence[str] = (),
        consent_days: int | None = None,
        display_name: str | Unchanged | None = UNCHANGED,
    ) -> AppClient:
        """More redirect URIs, another consent length and/or a display name for one of the
        tenant's clients (``display_name=None`` clears it)."""
        return clients.update(
            self.client(client_id),
            add_redirect_uris=add_redirect_uris,
            consent_days=consent_days,
            display_name=display_name,
        )

    def check_redirect(self, client: AppClient, redirect_uri: str | None) -> str:
        """``redirect_uri`` if registered for ``client`` exactly, else the app is not trusted."""
        return clients.check_redirect(client, redirect_uri)

    # -- the dialog ------------------------------------------------------------------------

    def connect(
        self,
        client: AppClient,
        institution: Institution,
        login: Login,
        scopes: Sequence[str],
        *,
        redirect_uri: str,
        code_challenge: str | None = None,
        selected_accounts: Sequence[int] | None = None,
        once: str | None = None,
    ) -> str:
        """The user signed in and consented: a new connection, and a code for the app
        (``once``: the consent step's key, see ``answered``)."""
        products = ["transactions"] if "transactions" in institution.products else []
        item = self.bank.create_item(
            institution,
            login,
            products or [institution.products[0]],
            selected_accounts=selected_accounts,
        )
        now = self.bank.now()
        consent = Consent(
            id=make_id(self.tenant.seed, "consent", item.id),
            tenant_id=self.tenant.id,
            item_pk=item.pk,
            client_id=client.client_id,
            credentials_id=make_id(self.tenant.seed, "credentials", item.id),
            scopes=list(dict.fromkeys(scopes)),
            created_at=now,
            expires_at=now + dt.timedelta(days=client.consent_days),
            status=AUTHORISED,
            status_updated_at=now,
            eternal=login.eternal,
        )
        self.session.add(consent)
        self.session.flush()
        return self._code(consent, redirect_uri, code_challenge, once)

    def consent(self, client: AppClient, consent_id: str) -> Consent:
        """A connection of ``client`` by its consent id (re-consent links carry it)."""
        found = self.session.scalar(
            select(Consent).where(Consent.tenant_id == self.tenant.id, Consent.id == consent_id)
        )
        if found is None or found.client_id != client.client_id:
            raise InvalidField(f"unknown consent_id {consent_id}", field="consent_id")
        return found

    def reconsent_link(self, consent: Consent, *, reauthenticate: bool) -> str:
        """A single-use link's token that renews ``consent`` (``reauthenticate``: the user
        signs in again first); ``ConsentNotExtendable`` if it cannot be renewed."""
        self._check_renewable(consent)
        return links.issue(
            self.session, consent, reauthenticate=reauthenticate, now=self.bank.now()
        )

    def open_reconsent(self, client: AppClient, token: str) -> ReconsentLink:
        """The re-consent link an auth link carries, opening its dialog: once only, and only
        while its connection can be renewed (``ConsentNotExtendable``)."""
        row = links.find(self.session, client, token)
        self._check_renewable(row.consent)
        links.claim_link(self.session, row, ReconsentLink.opened_at, self.bank.now())
        return row

    def check_same_user(self, consent: Consent, login: Login | None) -> None:
        """Only the user who made a connection may sign in again to renew it."""
        if login is None or login.username != consent.item.username:
            raise InvalidCredentials("sign in as the user who made this connection")

    def reconsent(
        self,
        client: AppClient,
        token: str,
        *,
        redirect_uri: str,
        login: Login | None = None,
        code_challenge: str | None = None,
        once: str | None = None,
    ) -> str:
        """The user confirmed again through a link (``login``: after signing in again, which
        a re-authentication link needs): a fresh period, and the link's one code (``once``:
        the consent step's key, see ``answered``)."""
        row = links.find(self.session, client, token)
        consent = row.consent
        self._check_renewable(consent)
        if login is not None or row.reauthenticate:
            self.check_same_user(consent, login)
        links.claim_link(self.session, row, ReconsentLink.used_at, self.bank.now())
        if login is not None:
            self.bank.repair_login(consent.item)
        self._renew(consent)
        return self._code(consent, redirect_uri, code_challenge, once)

    # -- the token endpoint -----------------------------------------------------------------

    def exchange_code(
        self,
        client: AppClient,
        code: str,
        *,
        redirect_uri: str | None,
        code_verifier: str | None,
        issuer: Issuer,
    ) -> TokenSet:
        """A code from the dialog, once, for the connection's tokens. Any attempt by the client
        it was issued to uses it up, a failed one too (RFC 6749 §10.5: no guessing the PKCE
        verifier), and presenting it again ends the refresh chain it began (§4.1.2): its
        tokens stop working. The caller keeps both though it answers an error. Another
        client's attempt leaves the code alone, or anyone holding one could spoil it."""
        keys = keyring.for_session(self.session)
        row = self.session.get(GrantCode, keys.digest(code)) if code else None
        now = self.bank.now()
        consent = self.session.get(Consent, row.consent_pk) if row is not None else None
        if row is None or consent is None or consent.client_id != client.client_id:
            raise AuthorizationCodeInvalid(field="code")
        if row.used_at is None and row.expires_at <= now:
            raise AuthorizationCodeInvalid(field="code")
        if row.used_at is not None or not claim(
            self.session, GrantCode.used_at, GrantCode.code == row.code, now
        ):
            end_chain(self.session, consent.pk, row.code)
            raise AuthorizationCodeInvalid(field="code")
        if redirect_uri != row.redirect_uri:
            raise GrantInvalid("redirect_uri differs from the auth link's", field="redirect_uri")
        if row.code_challenge is not None and not _pkce_matches(row.code_challenge, code_verifier):
            raise GrantInvalid("code_verifier does not match code_challenge", field="code_verifier")
        self._check_live(consent, now)
        consent.chain = row.code  # the chains before this code's (a renewal's) end here
        return self._issue(consent, issuer, row.code)

    def refresh(self, client: AppClient, refresh_token: str, *, issuer: Issuer) -> TokenSet:
        """A refresh token, once, for a new token set (the next refresh token included)."""
        redeemed = self._redeem_refresh(client, refresh_token)
        self._check_live(redeemed.consent, self.bank.now())
        return self._issue(redeemed.consent, issuer, redeemed.chain)

    def extend(
        self, client: AppClient, refresh_token: str, *, reconfirmed: bool, issuer: Issuer
    ) -> Extension:
        """Extend a connection: renewed at once (``john``/``eternal``), or the user must act."""
        row = find_token(self.session, refresh_token, REFRESH)
        if row is None or row.consent.client_id != client.client_id:
            raise GrantInvalid(field="refresh_token")
        consent = row.consent
        self._check_renewable(consent)
        if not reconfirmed:
            return Extension(RECONFIRMATION_NEEDED, consent)
        if not consent.eternal:
            return Extension(AUTHENTICATION_NEEDED, consent)
        self._redeem_refresh(client, refresh_token)
        self._renew(consent)
        return Extension(RENEWED, consent, self._issue(consent, issuer, row.chain))

    # -- connections --------------------------------------------------------------------------

    def connections(self) -> list[tuple[Consent, str]]:
        """Every connection of the tenant with its status now, newest first."""
        rows = self.session.scalars(
            select(Consent)
            .where(Consent.tenant_id == self.tenant.id)
            .order_by(Consent.created_at.desc(), Consent.pk.desc())
        )
        now = self.bank.now()
        return [(row, status_at(row, now)) for row in rows]

    def revoke(self, consent_id: str) -> Consent:
        """The app (or the dashboard) deletes a connection: its tokens stop working at once."""
        consent = self.session.scalar(
            select(Consent).where(Consent.tenant_id == self.tenant.id, Consent.id == consent_id)
        )
        if consent is None:
            raise InvalidField(f"unknown consent_id {consent_id}", field="consent_id")
        now = self.bank.now()
        if consent.status != REVOKED:
            consent.status, consent.status_updated_at = REVOKED, now
            # Refresh tokens die now; access tokens fail on the consent (``ConsentRevoked``).
            self.session.execute(
                update(GrantToken)
                .where(
                    GrantToken.consent_pk == consent.pk,
                    GrantToken.kind == REFRESH,
                    GrantToken.revoked_at.is_(None),
                )
                .values(revoked_at=now)
                .execution_options(synchronize_session="fetch")
            )
        if consent.item.removed_at is None:
            self.bank.remove(consent.item)
        return consent

    # -- helpers ------------------------------------------------------------------------------

    def _check_live(self, consent: Consent, now: dt.datetime) -> None:
        """At the token endpoint an ended consent is an invalid grant (TrueLayer: 400)."""
        try:
            check_live(consent, now)
        except (ConsentExpired, ConsentRevoked) as exc:
            raise GrantInvalid("the consent is over; the user must connect again") from exc

    def _check_renewable(self, consent: Consent) -> None:
        """``ConsentNotExtendable`` for a connection that cannot be renewed: deleted, outside
        the UK, or whose consent ended more than ``RENEWAL_GRACE`` ago (the user connects
        again)."""
        now = self.bank.now()
        if status_at(consent, now) == REVOKED or consent.item.removed_at is not None:
            raise ConsentNotExtendable()
        if institutions.get(consent.item.institution_id).country not in RENEWABLE_COUNTRIES:
            raise ConsentNotExtendable(
                "only UK connections can be renewed; the user must connect again"
            )
        if consent.expires_at + RENEWAL_GRACE <= now:
            raise ConsentNotExtendable(
                f"the consent ended more than {RENEWAL_GRACE.days} days ago; "
                "the user must connect again"
            )

    def _redeem_refresh(self, client: AppClient, refresh_token: str) -> GrantToken:
        """The live refresh token, used up (its chain and consent go on to the next one)."""
        row = find_token(self.session, refresh_token, REFRESH)
        if row is None or row.consent.client_id != client.client_id:
            raise GrantInvalid(field="refresh_token")
        now = self.bank.now()
        if not claim(self.session, GrantToken.revoked_at, GrantToken.token == row.token, now):
            raise GrantInvalid(field="refresh_token")
        return row

    def _renew(self, consent: Consent) -> None:
        now = self.bank.now()
        consent.expires_at = now + dt.timedelta(days=consent.client.consent_days)
        consent.status, consent.status_updated_at = AUTHORISED, now

    def answered(self, once: str) -> str | None:
        """The code already given for the consent step ``once`` (a dialog's key), if any and
        still unused (``LinkInvalid`` once used or expired).

        A double-clicked Allow sends the step twice, the second time before the browser has
        the first answer: it gets the first one's code, not a second connection. Racing
        requests both miss it; the second's code then collides and its unit of work runs
        again, finding it."""
        code = self._once_code(once)
        found = self.session.get(GrantCode, keyring.for_session(self.session).digest(code))
        if found is None:
            return None
        if found.used_at is not None or found.expires_at <= self.bank.now():
            raise LinkInvalid()  # the step sent again later: its code must not go out twice
        return code

    def _once_code(self, once: str) -> str:
        """The code of the consent step ``once``: keyed, so only the server can make it."""
        keyed = keyring.for_session(self.session).digest(f"grant code {self.tenant.id} {once}")
        return keyed.rpartition("$")[2]

    def _code(
        self,
        consent: Consent,
        redirect_uri: str,
        code_challenge: str | None,
        once: str | None = None,
    ) -> str:
        code = self._once_code(once) if once else secrets.token_urlsafe(32)
        self.session.add(
            GrantCode(
                code=keyring.for_session(self.session).digest(code),
                consent_pk=consent.pk,
                redirect_uri=redirect_uri,
                code_challenge=code_challenge or None,
                expires_at=self.bank.now() + CODE_TTL,
                used_at=None,
            )
        )
        self.session.flush()
        return code

    def _issue(self, consent: Consent, issuer: Issuer, chain: str | None) -> TokenSet:
        """A new access token (and refresh token with ``offline_access``) on ``chain``."""
        now = self.bank.now()
        access = signing.sign(self.session, self.tenant, _claims(consent, issuer, now))
        refresh = secrets.token_hex(32) if OFFLINE_ACCESS in consent.scopes else None
        digest = keyring.for_session(self.session).digest
        for token, kind, expires in ((access, ACCESS, now + ACCESS_TTL), (refresh, REFRESH, None)):
            if token is not None:
                self.session.add(
                    GrantToken(
                        token=digest(token),
                        consent_pk=consent.pk,
                        kind=kind,
                        issued_at=now,
                        expires_at=expires,
                        revoked_at=None,
                        chain=chain,
                    )
                )
        self.session.flush()
        return TokenSet(access, int(ACCESS_TTL.total_seconds()), refresh, tuple(consent.scopes))


def _claims(consent: Consent, issuer: Issuer, now: dt.datetime) -> dict[str, object]:
    """TrueLayer's access-token claims (what sandbox tokens were seen to carry)."""
    connector = issuer.connector_of(consent.item.institution_id)
    issued = int(now.timestamp())
    return {
        "nbf": issued,
        "exp": int((now + ACCESS_TTL).timestamp()),
        "iat": issued,
        "iss": issuer.url,
        "aud": "data_api",
        "client_id": consent.client_id,
        "sub": consent.credentials_id,
        "auth_time": int(consent.status_updated_at.timestamp()),
        "idp": connector,
        "jti": signing.token_id(),
        "sid": make_id("session", consent.tenant_id, consent.id)[:16],
        "connector_id": connector,
        "credentials_key": make_id("credentials_key", consent.tenant_id, consent.id)[:32],
        "privacy_policy": "Feb2019",
        "consent_id": consent.id,
        "scope": list(consent.scopes),
        "amr": ["pwd"],
    }


def _pkce_matches(challenge: str, verifier: str | None) -> bool:
    """RFC 7636 S256: ``BASE64URL(SHA256(verifier))`` equals the challenge (compared as
    bytes: the auth link's challenge may hold non-ASCII, which ``compare_digest`` raises on)."""
    if not verifier:
        return False
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=")
    return hmac.compare_digest(computed, challenge.encode())
