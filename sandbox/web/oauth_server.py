"""The banks' OAuth 2.0 authorization server, built on Authlib, and its database adapters.

One Authlib server per app serves every OAuth bank: the bank in play comes from the URL
(``flask.g.oauth_institution``) and a client only exists at the bank it registered with.
Rules: authorization-code grant with PKCE ``S256`` required, exact redirect URI match,
``state`` required, codes single-use and short-lived, short-lived access tokens, refresh
tokens that rotate on every use, and RFC 7009 revocation. Time is wall-clock time, so
freezegun moves it in tests. The clients and scopes are in ``oauth_clients``, so that
Authlib loads (with this module) at the first OAuth request, not at start.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, g
from sqlalchemy import or_, select

from ..core.bank import session_id
from ..core.models import OAuthClient, OAuthCode, OAuthToken
from ..extensions import db
from .oauth_clients import now

CODE_TTL = dt.timedelta(seconds=60)
ACCESS_TOKEN_SECONDS = 600


class ChosenLoginError(OAuth2Error):  # type: ignore[misc]  # Authlib is untyped
    """An ``error_<CODE>`` password at a bank's sign-in, sent back to Link: ``access_denied``
    with Plaid's code in ``error_code`` (an extension parameter, RFC 6749 §8.2)."""

    def __init__(self, condition: str, redirect_uri: str, state: str | None) -> None:
        super().__init__(error="access_denied", redirect_uri=redirect_uri, state=state)
        self.condition = condition

    def get_body(self) -> list[tuple[str, Any]]:
        """The error, ``state`` and ``error_code``."""
        body: list[tuple[str, Any]] = [*super().get_body(), ("error_code", self.condition)]
        return body


class Client:
    """An ``oauth_clients`` row as Authlib's ``ClientMixin`` (public client, PKCE only)."""

    def __init__(self, row: OAuthClient) -> None:
        self.row = row
        self.client_id = row.client_id

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        """None: the request must name its redirect URI (matched exactly)."""
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = set(self.row.scope.split())
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class Code:
    """An ``oauth_codes`` row as Authlib's ``AuthorizationCodeMixin``."""

    def __init__(self, row: OAuthCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class Token:
    """An ``oauth_tokens`` row as Authlib's ``TokenMixin``."""

    def __init__(self, row: OAuthToken) -> None:
        self.row = row

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return self.row.expires_in

    def is_expired(self) -> bool:
        return self.row.issued_at + dt.timedelta(seconds=self.row.expires_in) < now()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None

    def get_user(self) -> dict[str, Any]:
        return self.row.grant


class PkceS256(CodeChallenge):  # type: ignore[misc]  # Authlib is untyped
    """PKCE on every authorization request, and only the S256 method."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 (Authlib's attribute)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE (S256) is required")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]  # Authlib is untyped
    """Codes live 60 seconds, work once, and remember the consent (login and accounts)."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]  # noqa: RUF012 (Authlib's attribute)

    def validate_authorization_request(self) -> str:
        payload = self.request.payload
        if not payload.state:
            raise InvalidRequestError("Missing 'state': it is required")
        if not payload.redirect_uri:
            raise InvalidRequestError("Missing 'redirect_uri': it is required")
        redirect_uri: str = super().validate_authorization_request()
        return redirect_uri

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        db.session.add(
            OAuthCode(
                code=code,
                client_id=request.client.get_client_id(),
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope or "",
                grant=request.user,
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                expires_at=now() + CODE_TTL,
                used_at=None,
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        row = db.session.get(OAuthCode, code)
        if row is None or row.client_id != client.get_client_id():
            return None
        if row.used_at is not None or row.expires_at < now():
            return None
        return Code(row)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        authorization_code.row.used_at = now()

    def authenticate_user(self, authorization_code: Code) -> dict[str, Any]:
        return authorization_code.row.grant


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]  # Authlib is untyped
    """Every refresh issues a new refresh token and retires the old pair."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]  # noqa: RUF012 (Authlib's attribute)
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        row = db.session.scalar(select(OAuthToken).where(OAuthToken.refresh_token == refresh_token))
        return Token(row) if row is not None and row.revoked_at is None else None

    def authenticate_user(self, credential: Token) -> dict[str, Any]:
        return credential.row.grant

    def revoke_old_credential(self, credential: Token) -> None:
        credential.row.revoked_at = now()


class Revocation(RevocationEndpoint):  # type: ignore[misc]  # Authlib is untyped
    """RFC 7009: revoking either token of a pair ends both."""

    CLIENT_AUTH_METHODS = ["none"]  # noqa: RUF012 (Authlib's attribute)

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        row = db.session.scalar(
            select(OAuthToken).where(
                or_(
                    OAuthToken.access_token == token_string,
                    OAuthToken.refresh_token == token_string,
                )
            )
        )
        return Token(row) if row is not None else None

    def revoke_token(self, token: Token, request: OAuth2Request) -> None:
        token.row.revoked_at = token.row.revoked_at or now()


class AccessTokenValidator(BearerTokenValidator):  # type: ignore[misc]  # Authlib is untyped
    """Bearer tokens of the bank in the URL (expired and revoked ones fail)."""

    def authenticate_token(self, token_string: str) -> Token | None:
        row = db.session.scalar(select(OAuthToken).where(OAuthToken.access_token == token_string))
        if row is None or not _client_here(row.client_id):
            return None
        return Token(row)


def query_client(client_id: str) -> Client | None:
    """The client ``client_id`` if it is registered at the bank in the URL."""
    row = db.session.get(OAuthClient, client_id)
    return Client(row) if row is not None and _client_here(client_id) else None


def _client_here(client_id: str) -> bool:
    row = db.session.get(OAuthClient, client_id)
    institution = getattr(g, "oauth_institution", None)
    return row is not None and institution is not None and row.institution_id == institution


def save_token(token: dict[str, Any], request: OAuth2Request) -> None:
    """Store an issued token pair with the consent it carries."""
    db.session.add(
        OAuthToken(
            client_id=request.client.get_client_id(),
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token"),
            scope=token.get("scope", ""),
            grant=request.user,
            issued_at=now(),
            expires_in=int(token["expires_in"]),
            revoked_at=None,
        )
    )
    db.session.flush()


def _generate(*_: Any, **__: Any) -> str:
    return session_id().replace("-", "") + session_id().replace("-", "")[:16]


def build_server(app: Flask) -> AuthorizationServer:
    """The app's authorization server with the grants, PKCE and revocation registered."""
    server = AuthorizationServer()
    server.init_app(app, query_client=query_client, save_token=save_token)
    server.register_token_generator(
        "default",
        BearerTokenGenerator(
            access_token_generator=_generate,
            refresh_token_generator=_generate,
            expires_generator=lambda *_: ACCESS_TOKEN_SECONDS,
        ),
    )
    server.register_grant(AuthorizationCodeGrant, [PkceS256(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Revocation)
    return server


def build_protector() -> ResourceProtector:
    """Guards the banks' data endpoints with their access tokens."""
    protector = ResourceProtector()
    protector.register_token_validator(AccessTokenValidator())
    return protector
