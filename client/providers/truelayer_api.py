"""TrueLayer's auth server and Data API v1 over HTTP: OAuth 2 (PKCE) through Authlib, data calls
through one pooled `requests` session.

Only the two hosts differ between TrueLayer's sandbox, its live service and this project's
sandbox (`TrueLayerConfig.auth_url` / `api_url`), exactly as TrueLayer's own SDKs switch."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from client.api.transport import CallRecord, Observer

DEFAULT_SCOPES = (
    "info",
    "accounts",
    "balance",
    "cards",
    "transactions",
    "direct_debits",
    "standing_orders",
    "offline_access",
)


@dataclass(frozen=True)
class TrueLayerConfig:
    """An app's TrueLayer client: keys, redirect URI, the two hosts, what to ask for.

    Live TrueLayer is the default; `sandbox()` gives TrueLayer's sandbox hosts and mock bank;
    this project's sandbox is any pair of URLs (one server serves both path sets)."""

    client_id: str
    client_secret: str
    redirect_uri: str
    auth_url: str = "https://auth.truelayer.com"
    api_url: str = "https://api.truelayer.com"
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    providers: str = "uk-ob-all uk-oauth-all"

    @classmethod
    def sandbox(cls, client_id: str, client_secret: str, redirect_uri: str) -> TrueLayerConfig:
        """TrueLayer's own sandbox, mock bank included."""
        return cls(
            client_id,
            client_secret,
            redirect_uri,
            auth_url="https://auth.truelayer-sandbox.com",
            api_url="https://api.truelayer-sandbox.com",
            providers="uk-cs-mock uk-ob-all uk-oauth-all",
        )


@dataclass(frozen=True)
class Tokens:
    """One connection's OAuth pair, as the engine stores it (encrypted, opaque to it).

    `ns` names the connection's local ids (accounts, transactions): it is drawn once when the
    bank is connected and kept through refreshes and re-consent, so two users (or two
    tenants) whose bank reuses ids never share a local row."""

    access_token: str
    refresh_token: str | None
    expires_at: float
    ns: str
    scopes: tuple[str, ...] = ()  # as granted (empty: not said)

    def dumps(self) -> str:
        """The JSON the engine encrypts."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> Tokens:
        """From `dumps`."""
        raw = json.loads(text)
        return cls(
            raw["access_token"],
            raw.get("refresh_token"),
            raw["expires_at"],
            raw["ns"],
            tuple(raw.get("scopes") or ()),
        )

    @classmethod
    def from_reply(cls, reply: Mapping[str, Any], ns: str, now: float) -> Tokens:
        """From a /connect/token (or connections/extend) reply."""
        return cls(
            str(reply["access_token"]),
            reply.get("refresh_token"),
            now + float(reply.get("expires_in") or 3600),
            ns,
            tuple(str(reply.get("scope") or "").split()),
        )

    def renewed_by(self, reply: Mapping[str, Any], now: float) -> Tokens:
        """The pair a refresh (or an extension) returned; what it leaves out stays as it was."""
        new = Tokens.from_reply(reply, self.ns, now)
        return dataclasses.replace(
            new,
            refresh_token=new.refresh_token or self.refresh_token,
            scopes=new.scopes or self.scopes,
        )

    def allows(self, scope: str) -> bool:
        """Whether the user granted `scope` (assumed when the token reply did not say)."""
        return not self.scopes or scope in self.scopes

    def expiring(self, now: float, margin: float = 60) -> bool:
        """True when the access token ends within `margin` seconds."""
        return self.expires_at - margin <= now


class TrueLayerError(Exception):
    """An error reply: `error` is TrueLayer's code (`invalid_token`, `access_denied`, ...)."""

    def __init__(
        self, status: int, error: str, description: str = "", trace_id: str | None = None
    ) -> None:
        super().__init__(f"{status} {error}: {description}" if description else f"{status} {error}")
        self.status, self.error, self.description, self.trace_id = (
            status,
            error,
            description,
            trace_id,
        )


class TrueLayerUnreachable(Exception):
    """No reply (connection refused, timeout, DNS)."""


def new_pkce_verifier() -> str:
    """A fresh PKCE code verifier (RFC 7636: 43-128 characters)."""
    return str(generate_token(64))


class TrueLayerAPI:
    """The calls the client makes; every reply is JSON, every failure a `TrueLayerError`."""

    def __init__(
        self,
        config: TrueLayerConfig,
        *,
        timeout: float = 30,
        psu_ip: str | None = None,
        session: requests.Session | None = None,
        observer: Observer | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`psu_ip`: the user's IP when the user is present (skips the banks' limit of four
        unattended reads a day)."""
        self.config, self.timeout, self.psu_ip = config, timeout, psu_ip
        self.session = session or requests.Session()
        self.observer, self.clock = observer, clock

    def __repr__(self) -> str:
        return f"TrueLayerAPI({self.config.auth_url!r}, {self.config.api_url!r})"

    def observed(self, observer: Observer) -> TrueLayerAPI:
        """The same client (same pooled session), reporting each call to `observer`."""
        return TrueLayerAPI(
            self.config,
            timeout=self.timeout,
            psu_ip=self.psu_ip,
            session=self.session,
            observer=observer,
            clock=self.clock,
        )

    def close(self) -> None:
        """Release pooled connections."""
        self.session.close()

    # -- the auth server -------------------------------------------------------------------

    def _oauth(self) -> OAuth2Session:
        """Authlib's client, sending the secret in the form body as TrueLayer expects."""
        cfg = self.config
        return OAuth2Session(
            cfg.client_id,
            cfg.client_secret,
            token_endpoint_auth_method="client_secret_post",
            scope=" ".join(cfg.scopes),
            redirect_uri=cfg.redirect_uri,
            code_challenge_method="S256",
            default_timeout=self.timeout,
        )

    def authorization_url(self, state: str, code_verifier: str, nonce: str) -> str:
        """The auth-dialog link (provider picker, bank login, consent) with PKCE."""
        with self._oauth() as oauth:
            url, _ = oauth.create_authorization_url(
                self.config.auth_url.rstrip("/") + "/",
                state=state,
                code_verifier=code_verifier,
                nonce=nonce,
                providers=self.config.providers,
            )
        return str(url)

    def exchange_code(self, code: str, code_verifier: str) -> dict[str, Any]:
        """authorization_code grant: the code from the redirect for the token pair."""
        return self._token_call(
            "/connect/token",
            lambda oauth, url: oauth.fetch_token(
                url,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                client_id=self.config.client_id,
            ),
        )

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """refresh_token grant: a new access token and a new refresh token."""
        return self._token_call(
            "/connect/token",
            lambda oauth, url: oauth.refresh_token(
                url, refresh_token=refresh_token, client_id=self.config.client_id
            ),
        )

    def _token_call(self, path: str, call: Callable[[OAuth2Session, str], Any]) -> dict[str, Any]:
        """Run one Authlib token request, its failures as `TrueLayerError`."""
        started, status, code = self.clock(), 200, None
        try:
            with self._oauth() as oauth:
                return dict(call(oauth, self.config.auth_url.rstrip("/") + path))
        except OAuthError as exc:
            status, code = 400, str(exc.error)
            raise TrueLayerError(400, code, str(exc.description or "")) from exc
        except requests.RequestException as exc:
            status, code = 0, "CONNECTION_ERROR"
            raise TrueLayerUnreachable(str(exc)) from exc
        finally:
            self._report(path, status, code, started)

    def delete_connection(self, access_token: str) -> None:
        """DELETE /api/delete: the connection ends at TrueLayer (its tokens stop working)."""
        self._request("DELETE", self.config.auth_url, "/api/delete", access_token)

    # -- the Data API ----------------------------------------------------------------------

    def results(
        self, access_token: str, path: str, params: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """GET a /data/v1 path and unwrap TrueLayer's `results` envelope."""
        body = self._request("GET", self.config.api_url, "/data/v1" + path, access_token, params)
        return list(body.get("results") or [])

    def transactions(
        self, access_token: str, kind: str, account_id: str, start: dt.date, end: dt.date
    ) -> list[dict[str, Any]]:
        """Settled transactions of an account or card (`kind`: accounts | cards), both ends
        included."""
        window = {"from": start.isoformat(), "to": end.isoformat()}
        return self.results(access_token, f"/{kind}/{account_id}/transactions", window)

    def extend(self, refresh_token: str, user: Mapping[str, str], **extra: str) -> dict[str, Any]:
        """POST /data/v1/connections/extend: renew consent, or get the link the user must visit."""
        body = {
            "user_has_reconfirmed_consent": True,
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
            "refresh_token": refresh_token,
            "redirect_uri": self.config.redirect_uri,
            "user": dict(user),
            **extra,
        }
        return self._request(
            "POST", self.config.api_url, "/data/v1/connections/extend", None, json_body=body
        )

    def _request(
        self,
        method: str,
        host: str,
        path: str,
        access_token: str | None,
        params: Mapping[str, str] | None = None,
        *,
        json_body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One HTTP call; a reply outside 2xx raises `TrueLayerError`."""
        headers = {"Accept": "application/json"}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        if self.psu_ip:
            headers["X-PSU-IP"] = self.psu_ip
        started = self.clock()
        try:
            reply = self.session.request(
                method,
                host.rstrip("/") + path,
                params=params,
                json=json_body,
                headers=headers,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            self._report(path, 0, "CONNECTION_ERROR", started)
            raise TrueLayerUnreachable(f"{method} {path}: {exc}") from exc
        body = _json(reply)
        error = None if reply.ok else error_of(reply.status_code, body)
        self._report(path, reply.status_code, error.error if error else None, started)
        if error is not None:
            raise error
        return body

    def _report(self, endpoint: str, status: int, code: str | None, started: float) -> None:
        """Tell the observer (the audit log) about a call; never tokens or secrets."""
        if self.observer is not None:
            record = CallRecord(endpoint, status, None, self.clock() - started, code, 1)
            self.observer(record)


def _json(reply: requests.Response) -> dict[str, Any]:
    """The reply's JSON object (empty when there is none, as after /api/delete)."""
    try:
        body = reply.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"results": body}


def error_of(status: int, body: Mapping[str, Any]) -> TrueLayerError:
    """A Data API / auth error (`error`, `error_description`) or a problem JSON (`title`,
    `detail`, as connections/extend sends) as one exception."""
    code = body.get("error") or body.get("title") or f"http_{status}"
    text = body.get("error_description") or body.get("detail") or ""
    return TrueLayerError(status, str(code), str(text), body.get("trace_id"))
