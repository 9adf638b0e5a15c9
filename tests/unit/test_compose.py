"""``docker-compose.yml`` is valid Compose and wires the sandbox to a healthy PostgreSQL.

Docker need not run: the file is checked against the Compose specification's JSON
schema, vendored in ``tests/unit/data/compose-spec.json`` (see ``data/README.md`` for
where it came from), both as written and after ``${VAR:-default}`` interpolation.
"""

from __future__ import annotations

import json
import re
import shlex
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SCHEMA = Path(__file__).with_name("data") / "compose-spec.json"
_VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)")


@cache
def compose() -> dict[str, Any]:
    """docker-compose.yml as data."""
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def interpolate(value: Any, environ: dict[str, str]) -> Any:
    """Compose's variable substitution: ``$$``, ``$VAR``, ``${VAR}``, ``${VAR:-default}``."""
    if isinstance(value, dict):
        return {k: interpolate(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, environ) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(3)
        return environ.get(name) or (match.group(2) or "")

    return _VARIABLE.sub(substitute, value)


def schema_errors(document: Any) -> list[str]:
    """Every way ``document`` breaks the Compose specification."""
    schema = json.loads(SCHEMA.read_text())
    validator = Draft202012Validator(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def service(name: str) -> dict[str, Any]:
    """One service of the compose file."""
    services: dict[str, Any] = compose()["services"]
    assert name in services, f"no service {name!r} in {COMPOSE}"
    return dict(services[name])


def test_vendored_schema_is_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["title"] == "Compose Specification"
    assert {"services", "volumes", "networks"} <= set(schema["properties"])


@pytest.mark.parametrize("environ", [{}, {"SANDBOX_PORT": "9000", "SANDBOX_SEED": "42"}])
def test_compose_file_validates_against_the_spec(environ: dict[str, str]) -> None:
    assert schema_errors(compose()) == []
    assert schema_errors(interpolate(compose(), environ)) == []


def test_schema_rejects_a_broken_compose_file() -> None:
    broken = interpolate(compose(), {})
    broken["services"]["sandbox"]["depends_on"]["postgres"]["condition"] = "service_ready"
    broken["services"]["postgres"]["healtcheck"] = broken["services"]["postgres"].pop("healthcheck")
    errors = schema_errors(broken)
    assert any("service_ready" in e for e in errors), errors
    assert any("healtcheck" in e for e in errors), errors


def test_sandbox_waits_for_a_healthy_postgres() -> None:
    assert service("sandbox")["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_both_services_have_healthchecks() -> None:
    for name in ("sandbox", "postgres"):
        check = service(name).get("healthcheck")
        assert check and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"][0] in {"CMD", "CMD-SHELL"}
        assert {"interval", "timeout", "retries"} <= set(check)


def test_sandbox_healthcheck_asks_the_health_endpoint_with_python() -> None:
    test = service("sandbox")["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    code = test[3]
    assert "urllib" in code and "/control/health" in code
    compile(code, "healthcheck", "exec")  # the one-liner is valid Python


def test_postgres_is_16_with_pg_isready_and_a_volume() -> None:
    postgres = service("postgres")
    assert postgres["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volumes = [v.split(":")[0] if isinstance(v, str) else v["source"] for v in postgres["volumes"]]
    assert set(volumes) <= set(compose().get("volumes") or {}), "postgres volume is not named"
    assert volumes, "postgres keeps its data in no volume"


def test_sandbox_database_url_points_at_the_postgres_service() -> None:
    sandbox, postgres = service("sandbox"), service("postgres")
    env = interpolate(sandbox["environment"], {})
    pg = postgres["environment"]
    user, password, database = pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"], pg["POSTGRES_DB"]
    assert env["DATABASE_URL"] == f"postgresql://{user}:{password}@postgres:5432/{database}"
    assert {"SANDBOX_CLIENT_ID", "SANDBOX_SECRET", "SANDBOX_SEED"} <= set(env)
    assert all(env[k] for k in ("SANDBOX_CLIENT_ID", "SANDBOX_SECRET", "SANDBOX_SEED"))


def test_sandbox_migrates_before_gunicorn_serves_the_wsgi_app() -> None:
    sandbox = service("sandbox")
    assert sandbox["build"]["context"] == "."
    assert (ROOT / sandbox["build"].get("dockerfile", "Dockerfile")).is_file()
    command = sandbox["command"]
    script = command[-1] if command[:2] == ["sh", "-c"] else " ".join(command)
    steps = [shlex.split(step) for step in script.split("&&")]
    assert steps[0][:3] == ["python", "-m", "sandbox"] and steps[0][3] == "init-db"
    gunicorn = steps[-1][1:] if steps[-1][0] == "exec" else steps[-1]
    assert gunicorn[0] == "gunicorn" and gunicorn[-1] == "sandbox.wsgi:app"
    assert "0.0.0.0:8000" in gunicorn


def test_dockerfile_builds_on_python_311_slim() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert re.search(r"^RUN .*pip install", text, re.M)


def test_wsgi_module_builds_the_app_without_touching_the_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib
    import sys

    import flask_migrate

    database = tmp_path / "untouched.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("SANDBOX_SECRET_KEY", "wsgi-test")
    monkeypatch.setattr(
        flask_migrate, "upgrade", lambda *a, **k: pytest.fail("wsgi import migrated")
    )
    monkeypatch.delitem(sys.modules, "sandbox.wsgi", raising=False)
    wsgi = importlib.import_module("sandbox.wsgi")
    assert wsgi.app.url_map.bind("localhost").match("/control/health")
    assert not database.exists()
