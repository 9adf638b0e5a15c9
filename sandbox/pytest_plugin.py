"""pytest plugin: a live bank sandbox for your test suite (registered as ``bank_sandbox``).

Fixtures (all opt-in, nothing starts unless a test asks for it):

- ``bank_sandbox``: one real HTTP server per session on a free port (``.url``).
- ``sandbox_tenant``: fresh isolated keys per test (``.client_id``, ``.secret``, ``.post``).
- ``plaid_client``: the official ``plaid-python`` ``PlaidApi`` bound to that tenant.
- ``sandbox_clock``: freeze, set and advance the tenant's simulated time.
- ``sandbox_faults``: fail, slow or cut calls: ``fail("/transactions/sync", code=..., times=2)``.
- ``webhook_catcher``: a receiver on the sandbox; ``.url`` for items, ``.received()`` to assert.
- ``sync_engine``: the ``client`` sync engine against the tenant, on a SQLite store.

Options: ``--sandbox-seed`` (or ``@pytest.mark.sandbox_seed(n)`` per test) and
``--sandbox-database-url`` (default: a SQLite file in the session's temp dir).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from .testing import ItemLinker, LiveSandbox

DEFAULT_SEED = 7


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the sandbox's command line options."""
    group = parser.getgroup("bank_sandbox", "bank sandbox")
    group.addoption(
        "--sandbox-seed",
        type=int,
        default=DEFAULT_SEED,
        help="seed of each test's tenant (default 7)",
    )
    group.addoption(
        "--sandbox-database-url",
        default=None,
        help="database of the session's sandbox (default: SQLite in a temp dir)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the plugin's marker."""
    config.addinivalue_line("markers", "sandbox_seed(n): seed of this test's sandbox tenant")


@pytest.fixture(scope="session")
def bank_sandbox(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveSandbox]:
    """One sandbox server for the whole session, on a free port."""
    url = pytestconfig.getoption("--sandbox-database-url") or (
        f"sqlite:///{tmp_path_factory.mktemp('bank-sandbox') / 'sandbox.db'}"
    )
    with LiveSandbox({"DATABASE_URL": url}) as live:
        yield live


@dataclass
class Tenant(ItemLinker):
    """A test's own API keys on the shared server."""

    url: str
    client_id: str
    secret: str
    seed: int
    session: requests.Session

    def post(self, path: str, **body: Any) -> requests.Response:
        """POST JSON with this tenant's keys (Plaid and control endpoints alike)."""
        return self.session.post(f"{self.url}{path}", json=body, timeout=30)

    def call(self, path: str, **body: Any) -> dict[str, Any]:
        """POST and return the JSON body, raising on an error status."""
        response = self.post(path, **body)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data


@pytest.fixture
def sandbox_tenant(bank_sandbox: LiveSandbox, request: pytest.FixtureRequest) -> Iterator[Tenant]:
    """Fresh keys (and so a private set of items and clock) for one test."""
    marker = request.node.get_closest_marker("sandbox_seed")
    seed = int(marker.args[0]) if marker else int(request.config.getoption("--sandbox-seed"))
    created = requests.post(
        f"{bank_sandbox.url}/control/tenants",
        timeout=30,
        json={"name": request.node.name[:120], "seed": seed},
    )
    created.raise_for_status()
    keys = created.json()
    session = requests.Session()
    session.headers.update({"PLAID-CLIENT-ID": keys["client_id"], "PLAID-SECRET": keys["secret"]})
    with session:
        yield Tenant(bank_sandbox.url, keys["client_id"], keys["secret"], seed, session)


@pytest.fixture
def plaid_client(sandbox_tenant: Tenant) -> Iterator[Any]:
    """The official ``plaid-python`` client, pointed at the sandbox (needs ``plaid-python``)."""
    import plaid
    from plaid.api import plaid_api

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
        return dt.datetime.fromisoformat(
            self.tenant.session.get(f"{self.tenant.url}/control/clock", timeout=30).json()["now"]
        )

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
    """Control over the test tenant's simulated time."""
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
        response = self.tenant.session.get(f"{self.tenant.url}/control/faults/log", timeout=30)
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()["requests"]
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

    def received(self) -> list[dict[str, Any]]:
        """Deliver what is due now, then return every webhook body caught, oldest first."""
        self.tenant.call("/control/webhooks/deliver")
        response = self.tenant.session.get(self.url, timeout=30)
        response.raise_for_status()
        return [json.loads(hook["body"]) for hook in response.json()["webhooks"]]

    def codes(self) -> list[str]:
        """``webhook_code`` of each webhook caught, oldest first."""
        return [hook["webhook_code"] for hook in self.received()]


@pytest.fixture
def webhook_catcher(sandbox_tenant: Tenant) -> WebhookCatcher:
    """Collects the test tenant's delivered webhooks for assertions."""
    # Catchers take no keys (senders have none), so an unguessable name keeps them private.
    return WebhookCatcher(sandbox_tenant, secrets.token_hex(12))


@pytest.fixture
def sync_engine(sandbox_tenant: Tenant, tmp_path: Path) -> Iterator[Any]:
    """The ``client`` sync engine (``BankSync``) bound to the test tenant, on a SQLite store."""
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
