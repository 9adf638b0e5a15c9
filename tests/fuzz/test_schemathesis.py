"""schemathesis over ``/openapi.json``: generated requests never get a 5xx, replies conform.

The app runs in process (WSGI) on SQLite and on PostgreSQL, with a tenant's keys in the
headers. Each operation gets ``MAX_EXAMPLES`` examples from a derandomized Hypothesis
(the same requests on every run), positive (valid per the document) and negative
(invalid on purpose). The generate phase runs, plus the documented examples for the
control API (no shrinking), which bounds a run to about a thousand requests. Checks: no
5xx, a status the document lists, the documented content type and a body that matches
the documented schema.

Plaid calls mostly need a live item: in half of the examples, chosen by a stable hash
of the example, a generated ``access_token``, ``item_id``, ``institution_id``,
``public_token`` or ``link_token`` is swapped for a real one of the tenant, so the
fuzzing reaches the views and not only the token checks. The control API runs in a
tenant of its own, so fault rules it creates (which may answer 503 on purpose) never
reach the Plaid calls.
"""

from __future__ import annotations

import zlib
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode, checks

from sandbox.core import tenants
from sandbox.extensions import db
from sandbox.openapi import document
from tests.conftest import FROZEN_NOW, PlaidClient

MAX_EXAMPLES = 10
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
INSTITUTION = "ins_109508"
WEBHOOK = "https://example.com/hook"
LINK_TOKEN = {
    "client_name": "Fuzz",
    "language": "en",
    "country_codes": ["US"],
    "user": {"client_user_id": "fuzz-user"},
    "products": ["transactions"],
}
SWAPPED = ("access_token", "item_id", "institution_id", "public_token", "link_token")


class FuzzTenant:
    """A tenant's keys for the headers, and real values to swap into half the examples."""

    def __init__(self, app: Flask, name: str) -> None:
        tenant, keys = tenants.create(db.session, name, 7)
        tenant.clock_frozen_at = FROZEN_NOW
        db.session.commit()
        self.headers = {"PLAID-CLIENT-ID": keys.client_id, "PLAID-SECRET": keys.secret}
        self.plaid = PlaidClient(app.test_client(), keys.client_id, keys.secret)
        self.known: dict[str, str] = {"institution_id": INSTITUTION}

    def prepare(self, case: schemathesis.Case) -> None:
        """Keys travel in the headers; half the examples get real ids in place of generated."""
        if isinstance(case.body, dict):
            # Generated keys in the body would win over the headers and only ever test
            # INVALID_API_KEYS, which the API tests already cover.
            case.body.pop("client_id", None)
            case.body.pop("secret", None)
            if _positive(case):
                _drop_undeclared(case.body, _request_schema(case))
        if zlib.crc32(repr((case.body, case.path_parameters)).encode()) % 2:
            return
        for target in (case.body, case.path_parameters):
            if isinstance(target, dict):
                for key in target.keys() & set(SWAPPED):
                    target[key] = self.value(key)

    def value(self, key: str) -> str:
        """A real ``key`` of this tenant, made on first use (an item only when one is asked)."""
        if key == "public_token":  # single use: a new one every time
            reply = self.plaid.ok(
                "/sandbox/public_token/create",
                institution_id=INSTITUTION,
                initial_products=["transactions"],
            )
            return str(reply["public_token"])
        if key == "link_token" and key not in self.known:
            self.known[key] = self.plaid.ok("/link/token/create", **LINK_TOKEN)["link_token"]
        if key in ("access_token", "item_id") and key not in self.known:
            token = self.plaid.link_item(INSTITUTION, ("transactions", "auth"), webhook=WEBHOOK)
            self.known["access_token"] = token
            item = self.plaid.ok("/item/get", access_token=token)["item"]
            self.known["item_id"] = item["item_id"]
        return self.known[key]


def _positive(case: schemathesis.Case) -> bool:
    return case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE


def _request_schema(case: schemathesis.Case) -> Any:
    body = case.operation.definition.raw.get("requestBody", {})
    return body.get("content", {}).get("application/json", {}).get("schema", {})


def _declared(schema: Any) -> dict[str, Any]:
    """The properties a (3.1) schema declares, through ``$ref`` and ``allOf``."""
    if not isinstance(schema, dict):
        return {}
    if "$ref" in schema:
        return _declared(DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    found = dict(schema.get("properties", {}))
    for part in (*schema.get("allOf", ()), *schema.get("anyOf", ()), *schema.get("oneOf", ())):
        found.update(_declared(part))
    return found


def _drop_undeclared(body: dict[str, Any], schema: Any) -> None:
    """Remove keys Plaid's document does not declare (it allows them; Plaid rejects them)."""
    declared = _declared(schema)
    if not declared:
        return
    for key in list(body):
        if key not in declared:
            del body[key]
        elif isinstance(body[key], dict):
            _drop_undeclared(body[key], declared[key])


@pytest.fixture
def plaid_tenant(app: Flask) -> FuzzTenant:
    return FuzzTenant(app, "fuzz-plaid")


@pytest.fixture
def control_tenant(app: Flask) -> FuzzTenant:
    return FuzzTenant(app, "fuzz-control")


# The document is static: load it once; the `served` fixture checks each app serves it.
SERVER = "http://localhost"
DOCUMENT = document.document(SERVER)
CONFIG = schemathesis.Config()
# The tenant's keys go in every call; generated (negated) keys would only test the key check.
CONFIG.projects.default.generation.update(with_security_parameters=False)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@pytest.fixture
def served(app: Flask) -> Flask:
    """The app, once it has been seen to serve exactly the document being fuzzed."""
    reply = app.test_client().get("/openapi.json", base_url=SERVER)
    assert reply.get_json() == DOCUMENT
    return app


@schema.include(tag="plaid").parametrize()
@FUZZ_SETTINGS
def test_plaid_api_fuzzed_no_server_error_and_conforms(
    case: schemathesis.Case, served: Flask, plaid_tenant: FuzzTenant
) -> None:
    plaid_tenant.prepare(case)
    case.call_and_validate(headers=plaid_tenant.headers, checks=CHECKS, app=served)


@schema.exclude(tag="plaid").parametrize()
@settings(FUZZ_SETTINGS, phases=[Phase.explicit, Phase.generate])
def test_control_api_fuzzed_no_server_error_and_conforms(
    case: schemathesis.Case, served: Flask, control_tenant: FuzzTenant
) -> None:
    control_tenant.prepare(case)
    case.call_and_validate(headers=control_tenant.headers, checks=CHECKS, app=served)
