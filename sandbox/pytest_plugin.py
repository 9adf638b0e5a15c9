"""pytest plugin: a live bank sandbox for your test suite (registered as ``bank_sandbox``).

Fixtures (all opt-in: nothing starts, and nothing beyond the standard library is
imported, until a test asks for one):

- ``bank_sandbox``: the session's server (one per pytest-xdist worker) on a free port.
- ``sandbox_tenant``: fresh isolated keys per test (``.url``, ``.client_id``, ``.call``).
- ``plaid_client``: the official ``plaid-python`` ``PlaidApi`` bound to that tenant.
- ``sandbox_clock``: freeze, set and advance the tenant's simulated time.
- ``sandbox_faults``: fail, slow or cut calls: ``fail("/transactions/sync", code=..., times=2)``.
- ``webhook_catcher``: a receiver on the sandbox; ``.url`` for items, ``.received()`` to assert.
- ``sync_engine``: the ``client`` sync engine (``BankSync``) against the tenant.

Options: ``--sandbox-seed`` (or ``@pytest.mark.sandbox_seed(n)`` per test) and
``--sandbox-database-url`` (or ``SANDBOX_PYTEST_DATABASE_URL``): a PostgreSQL database in
which each session gets a private schema; by default, a SQLite file in pytest's temp dir.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .config import LARGEST_SEED
from .testing import ItemLinker, LiveSandbox, private_schema

if TYPE_CHECKING:
    import requests

DEFAULT_SEED = 7
DATABASE_ENV = "SANDBOX_PYTEST_DATABASE_URL"
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
# A test's own loopback server, whatever SANDBOX_* the shell exports for a shared one.
PINNED_SETTINGS = {
    "HOST": "127.0.0.1",
    "SHARED": "off",
    "ADMIN_TOKEN": None,
    "RATELIMIT_STORAGE_URL": None,
    "WEBHOOK_DISPATCHER": "thread",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the sandbox's command line options."""
    group = parser.getgroup("bank_sandbox", "bank sandbox")
    group.addoption(
        "--sandbox-seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"seed of each test's sandbox tenant (default {DEFAULT_SEED})",
    )
    group.addoption(
        "--sandbox-database-url",
        default=None,
        help=f"PostgreSQL URL: the sandbox gets a private schema there per session (or "
        f"${DATABASE_ENV}; default: a SQLite file in pytest's temp dir)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker and reject a database URL the sandbox cannot use, before any test."""
    config.addinivalue_line("markers", "sandbox_seed(n): seed of this test's sandbox tenant")
    try:
        _checked_seed(config.getoption("--sandbox-seed"), "--sandbox-seed")
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    url = _database_url(config)
    if url is not None and url.split("://", 1)[0] not in POSTGRES_SCHEMES:
        raise pytest.UsageError(
            f"--sandbox-database-url (or ${DATABASE_ENV}) must be a postgresql:// URL, "
            f"got {url.split('://', 1)[0]!r}; leave it unset for SQLite"
        )


def _checked_seed(value: object, where: str) -> int:
    """A seed the sandbox takes; else a ``ValueError`` naming where the bad one came from (it
    failed later, as a traceback under every test)."""
    try:
        seed = None if isinstance(value, bool) else int(str(value))
    except ValueError:
        seed = None
    if seed is None or not 0 <= seed <= LARGEST_SEED:
        raise ValueError(f"{where} must be an integer from 0 to {LARGEST_SEED}, not {value!r}")
    return seed


@contextmanager
def _one_line_start_failure(postgresql: bool) -> Iterator[None]:
    """A server that cannot start (a bad ``SANDBOX_*`` setting, a PostgreSQL that does not
    answer) fails each test that needs it with one line, not the same long traceback."""
    from .cli import start_failures
    from .failures import one_line

    failures = start_failures()
    if postgresql:
        import psycopg

        failures = (*failures, psycopg.Error)
    try:
        yield
    except failures as exc:
        message = f"bank_sandbox cannot start: {one_line(exc)}"
        raise pytest.fail.Exception(message, pytrace=False) from None


def _database_url(config: pytest.Config) -> str | None:
    url: str | None = config.getoption("--sandbox-database-url") or os.environ.get(DATABASE_ENV)
    return url or None


@pytest.fixture(scope="session")
def bank_sandbox(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveSandbox]:
    """The session's sandbox server on a free port, delivering webhooks as ``serve`` does.

    Under pytest-xdist each worker gets its own server and database. ``.url`` is its base
    URL; ``.client_id``/``.secret`` are the default tenant's keys (seed ``--sandbox-seed``).
    """
    url = _database_url(pytestconfig)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with _one_line_start_failure(url is not None), ExitStack() as stack:
        if url is not None:
            database = stack.enter_context(private_schema(url, worker))
        else:
            database = f"sqlite:///{tmp_path_factory.mktemp('bank-sandbox') / 'sandbox.db'}"
        config = {
            "DATABASE_URL": database,
            "SEED": pytestconfig.getoption("--sandbox-seed"),
            **PINNED_SETTINGS,
        }
        yield stack.enter_context(LiveSandbox(config))


@dataclass
class Tenant(ItemLinker):
    """A test's own API keys on the session's server (its items, clock and faults)."""

    url: str
    client_id: str
    secret: str
    seed: int
    session: requests.Session
    server: LiveSandbox

    def post(self, path: str, **body: Any) -> requests.Response:
        """POST JSON with this tenant's keys (Plaid and control endpoints alike)."""
        return self.session.post(f"{self.url}{path}", json=body, timeout=30)

    def call(self, path: str, **body: Any) -> dict[str, Any]:
        """POST and return the JSON body, raising on an error status."""
        return _json(self.post(path, **body))

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        """GET a control endpoint with this tenant's keys and return its JSON body."""
        return _json(self.session.get(f"{self.url}{path}", params=params, timeout=30))

    def wait_for_webhooks(self, timeout: float = 10.0) -> None:
        """Block until every webhook due so far has been sent, whatever the receiver said."""
        self.server.wait_for_webhooks(timeout)


def _json(response: requests.Response) -> dict[str, Any]:
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


@pytest.fixture
def sandbox_tenant(bank_sandbox: LiveSandbox, request: pytest.FixtureRequest) -> Iterator[Tenant]:
    """Fresh keys (and so a private set of items, clock and faults) for one test.

    Its seed is the test's ``sandbox_seed`` marker, else ``--sandbox-seed`` (default 7).
    """
    import requests

    seed = int(request.config.getoption("--sandbox-seed"))
    if marker := request.node.get_closest_marker("sandbox_seed"):
        try:
            seed = _checked_seed(marker.args[0] if marker.args else None, "sandbox_seed(n)'s n")
        except ValueError as exc:
            raise pytest.fail.Exception(str(exc), pytrace=False) from None
    with requests.Session() as session:
        created = session.post(
            f"{bank_sandbox.url}/control/tenants",
            timeout=30,
            json={"name": request.node.name[:120], "seed": seed},
        )
        keys = _json(created)
        session.headers.update(
            {"PLAID-CLIENT-ID": keys["client_id"], "PLAID-SECRET": keys["secret"]}
        )
        yield Tenant(
            bank_sandbox.url, keys["client_id"], keys["secret"], seed, session, bank_sandbox
        )


@pytest.fixture
def plaid_client(sandbox_tenant: Tenant) -> Iterator[Any]:
    """The official SDK's ``plaid.api.plaid_api.PlaidApi``, on the sandbox with the test's keys."""
    try:
        import plaid
        from plaid.api import plaid_api
    except ImportError:
        pytest.fail(
            "plaid_client needs plaid-python: pip install 'bank-sandbox[testing]'", pytrace=False
        )
    configuration = plaid.Configuration(
        host=sandbox_tenant.url,
        api_key={"clientId": sandbox_tenant.client_id, "secret": sandbox_tenant.secret},
    )
    with plaid.ApiClient(configuration) as api_client:
        yield plaid_api.PlaidApi(api_client)


class Clock:
    """The tenant's simulated clock, moved through ``/control/clock``."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

    def now(self) -> dt.datetime:
        """The tenant's current instant."""
        return dt.datetime.fromisoformat(self.tenant.get("/control/clock")["now"])

    def freeze(self, at: dt.datetime | None = None) -> dt.datetime:
        """Stop time (at ``at``, which must not be in the tenant's past)."""
        body: dict[str, Any] = {"freeze": True}
        if at is not None:
            body["set"] = at.isoformat()
        return self._change(body)

    def advance(self, days: int = 0, seconds: int = 0) -> dt.datetime:
        """Move time forward; the sandbox generates the days in between at once."""
        return self._change({"advance_days": days, "advance_seconds": seconds})

    def _change(self, body: dict[str, Any]) -> dt.datetime:
        return dt.datetime.fromisoformat(self.tenant.call("/control/clock", **body)["now"])


@pytest.fixture
def sandbox_clock(sandbox_tenant: Tenant) -> Clock:
    """Control over the test tenant's simulated time (``freeze``, ``advance``, ``now``)."""
    return Clock(sandbox_tenant)


class Faults:
    """Fault rules for the test tenant, through ``/control/faults``."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

    def fail(
        self,
        endpoint: str,
        *,
        code: str | None = None,
        status: int | None = None,
        times: int | None = None,
        **rule: Any,
    ) -> dict[str, Any]:
        """Fail calls to ``endpoint`` (a glob) with a Plaid error code or a raw HTTP status.

        ``times=N`` fails the next N calls; without it every call fails until ``clear()``.
        """
        body: dict[str, Any] = {"endpoint": endpoint, **rule}
        if code is not None:
            body["error_code"] = code
        if status is not None:
            body["http_status"] = status
        if times is not None:
            body.update(trigger="next", n=times)
        return self.tenant.call("/control/faults", **body)

    def add(self, **rule: Any) -> dict[str, Any]:
        """Any rule the control API accepts (latency, drop, truncate, probability, window …)."""
        return self.tenant.call("/control/faults", **rule)

    def log(self) -> list[dict[str, Any]]:
        """Injected faults so far, with the rule that fired."""
        entries: list[dict[str, Any]] = self.tenant.get("/control/faults/log")["requests"]
        return entries

    def clear(self) -> None:
        """Remove every rule of the tenant."""
        self.tenant.session.delete(
            f"{self.tenant.url}/control/faults", timeout=30
        ).raise_for_status()


@pytest.fixture
def sandbox_faults(sandbox_tenant: Tenant) -> Faults:
    """Fault injection for the test tenant: ``sandbox_faults.fail("/transactions/sync", ...)``."""
    return Faults(sandbox_tenant)


class WebhookCatcher:
    """A receiver on the sandbox itself; point an item's webhook at ``.url``."""

    def __init__(self, tenant: Tenant, name: str) -> None:
        self.tenant = tenant
        self.url = f"{tenant.url}/control/webhook-catcher/{name}"

    def received(self, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait for the webhooks due so far to go out, then return every body caught here."""
        self.tenant.wait_for_webhooks(timeout)
        caught = self.tenant.session.get(self.url, params={"limit": 500}, timeout=30)
        return [json.loads(hook["body"]) for hook in _json(caught)["webhooks"]]

    def codes(self, timeout: float = 10.0) -> list[str]:
        """``webhook_code`` of each webhook caught, oldest first (after ``received``'s wait)."""
        return [hook["webhook_code"] for hook in self.received(timeout)]


@pytest.fixture
def webhook_catcher(sandbox_tenant: Tenant) -> WebhookCatcher:
    """Collects the test tenant's delivered webhooks for assertions."""
    # Catchers take no keys (senders have none), so an unguessable name keeps them private.
    return WebhookCatcher(sandbox_tenant, secrets.token_hex(12))


@pytest.fixture
def sync_engine(sandbox_tenant: Tenant, tmp_path: Path) -> Iterator[Any]:
    """The ``client`` sync engine, ``client.sync.connections.BankSync``, bound to the test
    tenant, with its own SQLite store and a fresh token encryption key."""
    from client import PlaidClient
    from client.crypto import TokenCipher
    from client.store import Store
    from client.sync.connections import BankSync

    store = Store(f"sqlite:///{tmp_path / 'bank-client.db'}")
    plaid = PlaidClient(sandbox_tenant.url, sandbox_tenant.client_id, sandbox_tenant.secret)
    try:
        yield BankSync(plaid, store, TokenCipher([TokenCipher.generate_key()]))
    finally:
        plaid.close()
        store.close()
