"""docker-compose.yml's demo-app service: the client's app beside the sandbox, wired to it.

The browser reaches the app and the sandbox's Link on the host's loopback ports; the app calls
the sandbox, and the sandbox its webhook receiver, inside the compose network.
"""

from __future__ import annotations

from tests.unit.test_compose import interpolate, service


def test_demo_app_serves_the_client_app_once_the_sandbox_is_healthy() -> None:
    app = service("demo-app")
    assert app["command"] == ["bank-client", "serve", "--host", "0.0.0.0", "--port", "8080"]
    assert app["image"] == service("sandbox")["image"]
    assert app["depends_on"]["sandbox"]["condition"] == "service_healthy"
    assert app["ports"] == ["127.0.0.1:${BANK_APP_PORT:-8080}:8080"]
    test = app["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"] and "/healthz" in test[3]
    compile(test[3], "healthcheck", "exec")


def test_demo_app_uses_the_sandboxs_keys_database_and_addresses() -> None:
    app = interpolate(service("demo-app")["environment"], {})
    sandbox = interpolate(service("sandbox")["environment"], {})
    assert app["PLAID_CLIENT_ID"] == sandbox["SANDBOX_CLIENT_ID"]
    assert app["PLAID_SECRET"] == sandbox["SANDBOX_SECRET"]
    assert app["BANK_CLIENT_DB"] == sandbox["DATABASE_URL"]  # its tables are prefixed bc_
    assert app["PLAID_BASE_URL"] == "http://sandbox:8000"
    assert app["BANK_APP_WEBHOOK_URL"] == "http://demo-app:8080/webhooks/plaid"
    assert app["BANK_APP_LINK_URL"] == "http://127.0.0.1:8000"
    assert app["BANK_APP_PUBLIC_URL"] == "http://127.0.0.1:8080"
    moved = interpolate(service("demo-app")["environment"], {"SANDBOX_PORT": "9000"})
    assert moved["BANK_APP_LINK_URL"] == "http://127.0.0.1:9000"
    assert app["BANK_CLIENT_KEYS"] and app["BANK_APP_SECRET_KEY"] and app["BANK_APP_USERS"]
