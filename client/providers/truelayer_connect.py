"""`TrueLayerSync`: what an app embeds for TrueLayer connections, beside `BankSync` for Plaid
Items, in the same store: the auth link (PKCE), the code exchange on the redirect, syncing,
re-consent when consent ends, and disconnecting.

A connection whose consent ended is `login_required` (the sync records TrueLayer's
`access_denied` / `invalid_grant`); `reconsent` renews it through connections/extend, or
hands back the link the user must open; the redirect from that link completes it with
`complete` as for a new connection, keeping the connection's local ids and history."""

from __future__ import annotations

import contextlib
import functools
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import select

from client.audit import AuditLog
from client.crypto import TokenCipher
from client.notify import Notifier, log_notifier
from client.providers import errors
from client.providers.model import LocalAccount
from client.providers.truelayer import TrueLayerProvider, neutral_errors
from client.providers.truelayer_api import (
    Tokens,
    TrueLayerAPI,
    TrueLayerError,
    TrueLayerUnreachable,
    new_pkce_verifier,
)
from client.providers.truelayer_mapping import instant
from client.store.db import Store
from client.store.details import FLOW_LIFETIME, OAuthFlow
from client.store.models import Connection, ConnectionStatus, Cut, utcnow
from client.sync.accounts import upsert_account
from client.sync.duplicates import refuse_linked_login, removed_unless_kept
from client.sync.engine import PageHook, SyncEngine, SyncResult, get_connection

UNKNOWN_FLOW = "UNKNOWN_STATE"
AUTH_ERROR = "AUTHORIZATION_DENIED"


@dataclass(frozen=True)
class Reconsent:
    """The outcome of `reconsent`: renewed already (`url` None), or a link the user opens."""

    # no_action_needed, authentication_needed, reconfirmation_of_consent_needed (TrueLayer's
    # `action_needed`), or new_auth when the connection could not be extended.
    action: str
    url: str | None = None


class TrueLayerSync:
    """Connect TrueLayer banks and keep them synced into the client's store.

    The engine is the provider-neutral `SyncEngine` over a `TrueLayerProvider`; this class adds
    the OAuth flows, which only TrueLayer has."""

    def __init__(
        self,
        api: TrueLayerAPI,
        store: Store,
        cipher: TokenCipher,
        *,
        notifier: Notifier = log_notifier,
        audit: AuditLog | None = None,
        provider: TrueLayerProvider | None = None,
    ) -> None:
        self.api, self.store, self.cipher = api, store, cipher
        self.provider = provider or TrueLayerProvider(api)
        self.engine = SyncEngine(self.provider, store, cipher, notifier=notifier, audit=audit)
        self.audit = self.engine.audit

    # -- connecting ------------------------------------------------------------------------

    def auth_link(self, user_ref: str = "default", *, connection_id: int | None = None) -> str:
        """The URL that opens TrueLayer's auth dialog for this user (or, with
        `connection_id`, renews that connection's consent). Its `state` finds the PKCE verifier
        again when the user comes back."""
        state, verifier = secrets.token_urlsafe(24), new_pkce_verifier()
        self._remember(state, user_ref, connection_id, verifier)
        return self.api.authorization_url(state, verifier, nonce=secrets.token_urlsafe(16))

    def complete(self, redirect_url: str) -> int:
        """The redirect back (its URL, or a form post's fields as a query): exchange the code
        and store the connection; returns its local id. A completion that fails (a
        `client.providers.errors.SyncError`: TrueLayer down or rate limiting, a refused code)
        keeps nothing and cannot be repeated, the code and its flow being spent: the user
        starts again from `auth_link`."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(redirect_url).query).items()}
        return self.complete_with(query)

    def complete_with(self, params: dict[str, str]) -> int:
        """As `complete`, from the redirect's parameters (`code`, `state`, or `error`)."""
        flow = self._take_flow(params.get("state", ""))
        if "code" not in params:
            reason = params.get("error") or "no code in the redirect"
            raise errors.LoginRequired(AUTH_ERROR, reason)
        verifier = self.cipher.decrypt(flow.verifier_enc)
        now = utcnow().timestamp()
        with neutral_errors():
            reply = self.api.exchange_code(params["code"], verifier)
        if flow.connection_id is not None:
            ns = Tokens.loads(self._credentials(flow.connection_id)).ns
            self._reauthenticated(flow.connection_id, Tokens.from_reply(reply, ns, now))
            return flow.connection_id
        tokens = Tokens.from_reply(reply, secrets.token_hex(4), now)
        return self._create(flow.user_ref, tokens)

    def _create(self, user_ref: str, tokens: Tokens) -> int:
        """Store a new connection with what /me says about it and its accounts and cards, unless
        the user has connected that login already: then it is deleted at TrueLayer and
        `DuplicateConnection` names the connection that has it (`client.sync.duplicates`, the
        rule and lock Plaid's Items go through). The accounts are stored at once, so that a
        second sign-in before the first sync has them to compare with. The connection is also
        deleted at TrueLayer if the store fails to keep its tokens."""
        audited = self.api.observed(self.audit.call_observer(None))  # as Plaid's /item/remove
        delete = functools.partial(audited.delete_connection, tokens.access_token)
        with removed_unless_kept(delete, (TrueLayerError, TrueLayerUnreachable)):
            with neutral_errors():
                me = self.api.results(tokens.access_token, "/me")[0]
            accounts = self._accounts_if_listed(tokens)
            provider = me.get("provider") or {}
            institution_id = provider.get("provider_id")
            with self.store.session() as session:
                refuse_linked_login(
                    session, self.provider.name, user_ref, institution_id, accounts, _reconsent
                )
                conn = Connection(
                    provider=self.provider.name,
                    item_id=_item_id(tokens, me),
                    user_ref=user_ref,
                    access_token_enc=self.cipher.encrypt(tokens.dumps()),
                    institution_id=institution_id,
                    institution_name=Cut.institution_name(provider.get("display_name")),
                    consent_expires_at=instant(me.get("consent_expires_at")),
                    settings={"scopes": me.get("scopes") or []},
                )
                session.add(conn)
                session.flush()
                for account in accounts:
                    upsert_account(session, conn, account)
                cid = conn.id
        self.audit.record_consent("connected", cid)
        return cid

    def _accounts_if_listed(self, tokens: Tokens) -> list[LocalAccount]:
        """A new connection's accounts and cards, or none when the bank refuses to list them
        for a sign-in it no longer accepts (a login or consent error): the connection is stored
        all the same and its first sync records the error for the user to act on; with no
        account to compare, it is no duplicate (`live_twin`). Any other failure, a temporary
        one (429, 5xx, the network) included, is raised as its provider-neutral error: the
        connection, unchecked, is deleted at TrueLayer (`_create`) and the user signs in again
        from a new `auth_link`."""
        try:
            with neutral_errors():
                return self.provider.accounts(tokens)
        except errors.LoginRequired:
            return []
        except errors.ProviderUnavailable as exc:
            raise errors.ProviderUnavailable(
                exc.code,
                f"{exc.message}; the new connection was not kept: sign in again "
                "(TrueLayerSync.auth_link)",
                request_id=exc.request_id,
            ) from exc

    # -- syncing ---------------------------------------------------------------------------

    def sync(
        self, connection_id: int, trigger: str = "manual", on_page: PageHook | None = None
    ) -> SyncResult:
        """Read the window and store what changed; errors are recorded, not raised."""
        return self.engine.sync(connection_id, trigger, on_page)

    def tokens(self, connection_id: int) -> Tokens:
        """The connection's current token pair (decrypted for the call that needs it)."""
        return Tokens.loads(self._credentials(connection_id))

    def fresh_tokens(self, connection_id: int, *, force: bool = False) -> Tokens:
        """The token pair, refreshed first (and stored) when the access token is ending, or
        when `force`d (the bank's clock may be ahead of ours)."""
        tokens = self.tokens(connection_id)
        if force or tokens.expiring(utcnow().timestamp()):
            tokens = self.provider.observed(self.audit.call_observer(connection_id)).renew(tokens)
            self._replace_tokens(connection_id, tokens)
        return tokens

    # -- consent ---------------------------------------------------------------------------

    def reconsent(
        self, connection_id: int, user: dict[str, str] | None = None, *, reconfirmed: bool = True
    ) -> Reconsent:
        """Renew consent: connections/extend, which may renew at once (new tokens stored,
        connection active) or name a link the user must open (bank re-authentication, or
        TrueLayer's dialog). When the connection cannot be extended, a new auth link for it."""
        with self.store.session() as session:
            user_ref = get_connection(session, connection_id).user_ref
        tokens = self.tokens(connection_id)
        state, verifier = secrets.token_urlsafe(24), new_pkce_verifier()
        api = self.api.observed(self.audit.call_observer(connection_id))
        reply = None
        if reconfirmed and tokens.refresh_token:
            with contextlib.suppress(TrueLayerError):  # 401/422: it cannot be extended
                reply = api.extend(
                    tokens.refresh_token,
                    user or {"id": user_ref},
                    state=state,
                    code_challenge=_challenge(verifier),
                )
        if reply is None:
            return Reconsent("new_auth", self.auth_link(user_ref, connection_id=connection_id))
        action = str(reply.get("action_needed"))
        if action == "no_action_needed":
            self._reauthenticated(connection_id, tokens.renewed_by(reply, utcnow().timestamp()))
            return Reconsent(action)
        self._remember(state, user_ref, connection_id, verifier)
        return Reconsent(action, str(reply.get("user_input_link")))

    def disconnect(self, connection_id: int) -> None:
        """DELETE /api/delete, then forget the tokens (the history stays); idempotent."""
        with self.store.session() as session:
            if get_connection(session, connection_id).access_token_enc is None:
                return
        try:
            token = self.fresh_tokens(connection_id).access_token
            self.api.observed(self.audit.call_observer(connection_id)).delete_connection(token)
        except (TrueLayerError, errors.LoginRequired):
            pass  # consent already over at TrueLayer: still forget the tokens
        with self.store.session() as session:
            conn = get_connection(session, connection_id)
            conn.access_token_enc, conn.cursor, conn.in_chain = None, None, False
            conn.status = ConnectionStatus.DISCONNECTED
        self.audit.record_consent("disconnected", connection_id)

    # -- helpers ---------------------------------------------------------------------------

    def _credentials(self, connection_id: int) -> str:
        return self.engine.credentials(connection_id)

    def _reauthenticated(self, connection_id: int, tokens: Tokens) -> None:
        """Store a renewed consent's tokens, its new end and its credentials (from /me): the
        old end, past already, would show in the app and keep the reminders of the new one from
        coming. New credentials (a new sign-in at the bank) read the accounts under new ids:
        the next sync reads the whole window again and adopts every row the old ones stored
        (`client.sync.earlier` tells them apart by this id) rather than doubling it. The tokens
        are stored first: the refresh token they replace is spent."""
        self._replace_tokens(connection_id, tokens)
        with neutral_errors():
            me = self.api.results(tokens.access_token, "/me")[0]
        with self.store.session() as session:
            conn = get_connection(session, connection_id)
            conn.consent_expires_at = instant(me.get("consent_expires_at"))
            if conn.item_id != (signed_in := _item_id(tokens, me)):
                conn.item_id, conn.cursor = signed_in, None
        self.audit.record_consent("reauthenticated", connection_id)

    def _replace_tokens(self, connection_id: int, tokens: Tokens) -> None:
        """Store a renewed pair; the connection is usable again."""
        with self.store.session() as session:
            conn = get_connection(session, connection_id)
            conn.access_token_enc = self.cipher.encrypt(tokens.dumps())
            conn.status = ConnectionStatus.ACTIVE
            conn.last_error_code = conn.last_error_message = None

    def _remember(
        self, state: str, user_ref: str, connection_id: int | None, verifier: str
    ) -> None:
        with self.store.session() as session:
            session.add(
                OAuthFlow(
                    state=state,
                    provider=self.provider.name,
                    user_ref=user_ref,
                    connection_id=connection_id,
                    verifier_enc=self.cipher.encrypt(verifier),
                )
            )

    def _take_flow(self, state: str) -> OAuthFlow:
        """The flow `state` names, used once and only while fresh (a replayed or forged
        redirect is refused before any code is exchanged)."""
        with self.store.session() as session:
            flow = session.scalar(select(OAuthFlow).where(OAuthFlow.state == state))
            if flow is None or flow.used_at is not None:
                raise errors.SyncError(UNKNOWN_FLOW, "no open authorization for this state")
            if utcnow() - flow.created_at > FLOW_LIFETIME:
                raise errors.SyncError(UNKNOWN_FLOW, "the authorization link has expired")
            flow.used_at = utcnow()
            return flow


def _item_id(tokens: Tokens, me: dict[str, Any]) -> str:
    """The connection's `item_id`: its namespace and TrueLayer's credentials id (new for every
    sign-in at the bank)."""
    return f"tl:{tokens.ns}:{me.get('credentials_id') or ''}"[:100]


def _reconsent(connection_id: int) -> str:
    """How a TrueLayer connection whose consent ended is repaired: re-consent, same connection
    (`bank-client reconnect` serves Plaid Items only)."""
    return f"by renewing its consent (TrueLayerSync.reconsent({connection_id}))"


def _challenge(verifier: str) -> str:
    """The S256 PKCE challenge of a verifier (what Authlib sends on the auth link)."""
    return str(create_s256_code_challenge(verifier))
