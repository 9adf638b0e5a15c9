"""One pooled HTTP session with timeouts, retries, backoff, jitter and Retry-After."""

from __future__ import annotations

import copy
import logging
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from client.api.errors import APIConnectionError, ClientError, PlaidError, error_from_response

# Jitter draws from its own generator: a background thread must never move the global
# `random` state that seeded code (and Hypothesis, in tests) relies on.
_JITTER = random.Random()

log = logging.getLogger(__name__)

PLAID_VERSION = "2020-09-14"
USER_AGENT = "bank-client/0.1 (Plaid protocol)"
# Endpoints whose effect must not be repeated if a reply was lost after sending.
NOT_IDEMPOTENT = frozenset(
    {"/item/public_token/exchange", "/item/remove", "/item/access_token/invalidate"}
)


@dataclass(frozen=True)
class CallRecord:
    """What the audit log keeps of one provider call: never tokens or secrets."""

    endpoint: str
    status: int
    request_id: str | None
    duration: float
    error_code: str | None
    attempt: int


Observer = Callable[[CallRecord], None]


def full_jitter(delay: float) -> float:
    """Spread retries between half and all of the delay so clients do not stampede."""
    return delay * (0.5 + _JITTER.random() / 2)


class Transport:
    """POSTs JSON to a Plaid-protocol host and turns replies into dicts or typed errors."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        secret: str,
        *,
        timeout: float = 10,
        max_retries: int = 2,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_retry_after: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float], float] = full_jitter,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._secret = secret
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.jitter = jitter
        self.session = session or _session_for(self.base_url)
        self.observers: list[Observer] = []

    def __repr__(self) -> str:
        return f"Transport({self.base_url!r}, client_id=<hidden>, secret=<hidden>)"

    def with_observer(self, observer: Observer) -> Transport:
        """A copy sharing the connection pool that also reports calls to `observer`."""
        clone = copy.copy(self)
        clone.observers = [*self.observers, observer]
        return clone

    def close(self) -> None:
        """Release pooled connections."""
        self.session.close()

    def post(self, path: str, body: Mapping[str, Any], *, auth: bool = True) -> dict[str, Any]:
        """Send one Plaid request, retrying what is safe to retry."""
        attempt = 0
        while True:
            try:
                return self._attempt(path, body, auth, attempt)
            except (PlaidError, APIConnectionError) as exc:
                retry_after = getattr(exc, "retry_after", None)
                if not self._may_retry(exc.should_retry, attempt, retry_after):
                    raise
                self.sleep(self._delay(attempt, retry_after))
                attempt += 1

    def _may_retry(self, should_retry: bool, attempt: int, retry_after: float | None) -> bool:
        """Retry what is safe, within the budget; a Retry-After longer than `max_retry_after`
        goes back to the caller (a scheduler retries later) instead of blocking a thread."""
        if not should_retry or attempt >= self.max_retries:
            return False
        return retry_after is None or retry_after <= self.max_retry_after

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter; the server's Retry-After is honoured in full."""
        delay = self.jitter(min(self.max_backoff, self.backoff * 2**attempt))
        return delay if retry_after is None else max(delay, retry_after)

    def _headers(self, auth: bool) -> dict[str, str]:
        """Plaid's headers; credentials travel in headers as the official SDK sends them."""
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Plaid-Version": PLAID_VERSION,
            "User-Agent": USER_AGENT,
        }
        if auth:
            headers["PLAID-CLIENT-ID"] = self._client_id
            headers["PLAID-SECRET"] = self._secret
        return headers

    def _attempt(
        self, path: str, body: Mapping[str, Any], auth: bool, attempt: int
    ) -> dict[str, Any]:
        """One HTTP exchange, reported to observers whatever its outcome."""
        started = time.monotonic()
        status, request_id, code = 0, None, None
        try:
            response = self._send(path, body, auth)
            status = response.status_code
            data = _json(response, self.base_url + path)
            request_id = data.get("request_id")
            if status >= 400:
                if not (data.get("error_type") or data.get("error_code")):
                    raise self._not_plaid(
                        path,
                        f"answered HTTP {status} without a Plaid error object",
                        should_retry=_transient(status),
                    )
                error = error_from_response(status, data, _retry_after(response))
                code = error.error_code
                raise error
            return Reply(data, lambda key: self._not_plaid(path, f"replied without {key!r}"))
        except APIConnectionError:
            code = "CONNECTION_ERROR"
            raise
        finally:
            record = CallRecord(path, status, request_id, time.monotonic() - started, code, attempt)
            log.debug("plaid %s -> %s (%s) %.3fs", path, status, request_id, record.duration)
            for observer in self.observers:
                observer(record)

    def _not_plaid(self, path: str, what: str, *, should_retry: bool = False) -> APIConnectionError:
        """A reply no Plaid API gives: the base URL most likely names another server (a
        worker's health port, a proxy's page), which the bare symptom ("/:  (request None)",
        a KeyError "'link_token'") never said."""
        return APIConnectionError(
            f"{self.base_url}{path} {what}: is {self.base_url} a Plaid API?",
            should_retry=should_retry,
        )

    def _send(self, path: str, body: Mapping[str, Any], auth: bool) -> requests.Response:
        """The raw POST, with network failures turned into APIConnectionError."""
        try:
            return self.session.post(
                self.base_url + path,
                json=dict(body),
                headers=self._headers(auth),
                timeout=self.timeout,
            )
        except requests.ConnectionError as exc:  # ConnectTimeout included
            if not _never_sent(exc):
                raise _no_reply(self.base_url + path, exc, path) from None
            # The connection never opened, so nothing reached the server.
            raise APIConnectionError(
                f"could not connect to {self.base_url}{path}: {_why_not(exc)}",
                should_retry=True,
            ) from None
        except (requests.Timeout, *_CUT_SHORT) as exc:
            raise _no_reply(self.base_url + path, exc, path) from None


# A reply whose body ended early or cannot be decoded (a proxy or the server dying mid-write):
# no reply, as a timeout is; the request may have been processed.
_CUT_SHORT = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)


def _session_for(base_url: str) -> requests.Session:
    """A keep-alive session whose environment settings (proxies, CA bundle, .netrc) are read
    once, here, for the one host it talks to: requests otherwise re-reads them from the
    environment on every call, which costs more than a small request's own work."""
    session = requests.Session()
    proxies = requests.utils.get_environ_proxies(base_url)
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    auth = requests.utils.get_netrc_auth(base_url)
    session.trust_env = False
    session.proxies.update(proxies)
    if bundle:
        session.verify = bundle
    if auth:
        session.auth = auth
    return session


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether the connection failed to open (refused, unresolvable, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError | NameResolutionError)


def _why_not(exc: requests.RequestException) -> str:
    """Why a connection did not open, in the system's words ("Connection refused", "Name or
    service not known"), else the exception's type: that type alone ("ConnectionError") did
    not tell a mistyped host from a server that is down."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    said = getattr(getattr(reason, "__cause__", None), "strerror", None)
    return str(said) if said else type(exc).__name__


def _no_reply(url: str, exc: requests.RequestException, path: str) -> APIConnectionError:
    """The request may have been processed; repeat it only if that is harmless."""
    return APIConnectionError(
        f"no reply from {url}: {type(exc).__name__}", should_retry=path not in NOT_IDEMPOTENT
    )


class Reply(dict[str, Any]):
    """A successful reply's JSON object whose missing field is a `ClientError` saying so
    (`missing(key)` builds it), not a bare KeyError: every caller reads its fields by key."""

    def __init__(self, data: dict[str, Any], missing: Callable[[str], ClientError]) -> None:
        super().__init__(data)
        self._missing = missing

    def __missing__(self, key: str) -> Any:
        raise self._missing(key)


def _transient(status: int) -> bool:
    """Whether an HTTP status that carries no Plaid error may pass on a second try."""
    return status >= 500 or status == 429


def _json(response: requests.Response, url: str) -> dict[str, Any]:
    """The reply's JSON object; a non-JSON reply (a proxy's HTML page) is a transient error.

    orjson parses (a 500-transaction page is ~700 KB); what it refuses (an integer beyond
    64 bits, a body that is not UTF-8) goes to `response.json()` as before."""
    try:
        data = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        data = _stdlib_json(response, url)
    if not isinstance(data, dict):
        raise APIConnectionError(f"reply from {url} is not a JSON object", should_retry=False)
    return data


def _stdlib_json(response: requests.Response, url: str) -> Any:
    """`response.json()`, with a body that is not JSON as a transient error."""
    try:
        return response.json()
    except ValueError:
        raise APIConnectionError(
            f"non-JSON reply with HTTP {response.status_code} from {url}",
            should_retry=_transient(response.status_code),
        ) from None


def _retry_after(response: requests.Response) -> float | None:
    """Seconds from a numeric Retry-After header (HTTP dates are ignored)."""
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
