"""What a start loads: only what serving a Plaid call needs (``bench/bench_api.py`` times it).

Structural checks, not timings: the libraries behind PDFs, signing, webhook delivery, rate
limits and the banks' OAuth pages load at their first use, and ``bank-sandbox`` itself
imports no part of the app until a command needs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from flask import url_for
from werkzeug.routing import Map, Rule

from sandbox import create_app
from sandbox.routing import LazyBuilderRule

LOADED_AT_FIRST_USE = ("fpdf", "PIL", "fontTools", "cryptography", "jwt", "requests", "urllib3")
LOADED_AT_FIRST_USE += ("limits", "authlib", "alembic", "flask_migrate", "faker")


def _modules_after(code: str) -> set[str]:
    shown = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[-1]
    return {name.split(".")[0] for name in json.loads(shown)}


def test_a_start_and_its_first_plaid_call_load_none_of_the_first_use_libraries(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'start.db'}"
    code = f"""
from sandbox import create_app
from sandbox.bootstrap import ensure_default_tenant, prepare_schema
keys = {{"CLIENT_ID": "c", "SECRET": "s", "RATE_LIMITS": "off"}}  # on: limits counts the call
app = create_app({{"DATABASE_URL": "{url}", "SECRET_KEY": "k", **keys}})
prepare_schema(app)
ensure_default_tenant(app)
reply = app.test_client().post(
    "/institutions/get_by_id",
    json={{"institution_id": "ins_109508", "country_codes": ["US"]}},
    headers={{"PLAID-CLIENT-ID": "c", "PLAID-SECRET": "s"}},
)
assert reply.status_code == 200, reply.data
"""
    assert _modules_after(code) & set(LOADED_AT_FIRST_USE) == set()


def test_serve_reaches_its_ready_file_without_loading_the_first_use_libraries(
    tmp_path: Path,
) -> None:
    """The real ``serve`` start, checks included (a rate-limit store is asked only when one
    is configured): what it imported is read from ``-X importtime``, once it is ready."""
    ready = tmp_path / "ready.json"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "SANDBOX_CLIENT_ID": "c",
        "SANDBOX_SECRET": "s",
        "SANDBOX_SECRET_KEY": "k" * 32,
    }
    env.pop("SANDBOX_RATELIMIT_STORAGE_URL", None)
    command = [sys.executable, "-X", "importtime", "-m", "sandbox", "serve", "--port", "0"]
    server = subprocess.Popen(
        [*command, "--ready-file", str(ready)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), "serve did not start"
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in log.splitlines()
        if line.startswith("import time:")
    }
    assert "sandbox" in imported  # the log is the start's
    assert imported & set(LOADED_AT_FIRST_USE) == set()


def test_the_command_line_imports_the_app_only_for_a_command() -> None:
    loaded = _modules_after("import sandbox.cli")
    assert {"sqlalchemy", "marshmallow", "werkzeug.serving"} & loaded == set()


def test_url_builders_are_compiled_at_first_use_and_build_the_same_urls() -> None:
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "k"})
    assert app.url_rule_class is LazyBuilderRule
    rule = next(r for r in app.url_map.iter_rules() if r.arguments)
    stubs = (rule._build, rule._build_unknown)
    values = {name: "ins_1" for name in rule.arguments}
    with app.test_request_context():
        built = [url_for(rule.endpoint, **values), url_for(rule.endpoint, **values, extra="x")]
        assert [
            url_for(rule.endpoint, **values),
            url_for(rule.endpoint, **values, extra="x"),
        ] == built
    # url_for builds with ``_build_unknown`` (extra values become the query string): that one
    # is werkzeug's compiled builder now, while ``_build`` waits for its own first use.
    assert rule._build_unknown != stubs[1] and rule._build == stubs[0]
    eager = Rule(rule.rule, endpoint=rule.endpoint)
    Map([eager], converters=app.url_map.converters).bind("localhost")  # compiles at once
    reference = eager.map.bind("localhost")
    assert built == [
        reference.build(rule.endpoint, values),
        reference.build(rule.endpoint, {**values, "extra": "x"}),
    ]
