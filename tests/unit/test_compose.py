"""``docker-compose.yml`` is valid Compose: gunicorn, a webhook worker, PostgreSQL and Redis.

Docker need not run: the file is checked against the Compose specification's JSON
schema, vendored in ``tests/unit/data/compose-spec.json`` (see ``data/README.md`` for
where it came from), both as written and after ``${VAR:-default}`` interpolation.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
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


def test_sandbox_waits_for_healthy_postgres_and_redis() -> None:
    depends = service("sandbox")["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"


def test_worker_delivers_webhooks_once_the_schema_is_migrated() -> None:
    worker = service("worker")
    assert worker["command"] == ["python", "-m", "sandbox", "worker"]
    assert worker["depends_on"]["sandbox"]["condition"] == "service_healthy"
    assert worker["image"] == service("sandbox")["image"]
    assert worker["environment"] == service("sandbox")["environment"]  # one anchor


def test_web_workers_leave_delivery_to_the_worker_and_share_rate_limits() -> None:
    env = interpolate(service("sandbox")["environment"], {})
    assert env["SANDBOX_WEBHOOK_DISPATCHER"] == "off"
    assert env["SANDBOX_RATELIMIT_STORAGE_URL"] == "redis://redis:6379/0"
    assert service("redis")["image"].startswith("redis:")
    assert "redis-cli" in service("redis")["healthcheck"]["test"]


def test_every_container_shares_one_server_key() -> None:
    """Each container has its own instance folder; the worker must unseal what the web sealed."""
    for name in ("sandbox", "worker"):
        assert interpolate(service(name)["environment"], {})["SANDBOX_SECRET_KEY"]


def test_worker_healthcheck_reads_the_heartbeat_the_worker_touches() -> None:
    code = service("worker")["healthcheck"]["test"][3]
    compile(code, "healthcheck", "exec")
    assert "SANDBOX_WORKER_HEARTBEAT" in code
    assert interpolate(service("worker")["environment"], {})["SANDBOX_WORKER_HEARTBEAT"]


def test_every_service_has_a_healthcheck() -> None:
    for name in ("sandbox", "worker", "postgres", "redis"):
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


def test_postgres_sorts_text_by_code_point_as_sqlite_does() -> None:
    """The image's default collation (en_US) orders mixed-case ids that tie on a date apart
    from SQLite, breaking "same seed, same bytes" across the two."""
    args = service("postgres")["environment"]["POSTGRES_INITDB_ARGS"].split()
    assert "--locale=C.UTF-8" in args


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


def test_stopping_the_sandbox_waits_for_gunicorn_to_finish_the_calls_in_flight() -> None:
    """``docker compose stop`` sends SIGTERM, then SIGKILL after the service's grace period
    (10 s unless set): gunicorn lets calls finish for its graceful timeout (30 s, the
    longest an injected latency lasts), so a shorter period killed slow calls."""
    from gunicorn.config import Config

    graceful_timeout = Config().graceful_timeout
    assert graceful_timeout == 30  # gunicorn's default, which the compose command keeps
    assert "graceful-timeout" not in " ".join(service("sandbox")["command"])
    period = re.fullmatch(r"(\d+)s", service("sandbox").get("stop_grace_period", "10s"))
    assert period and int(period.group(1)) > graceful_timeout


def test_dockerfile_builds_on_python_311_slim() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert re.search(r"^RUN .*pip install", text, re.M)


def test_dockerfile_installs_the_package_with_its_seeds_not_editable() -> None:
    text = DOCKERFILE.read_text()
    copied = {line.split()[1] for line in text.splitlines() if line.startswith("COPY ")}
    assert {"sandbox", "client", "seeds"} <= copied  # what pyproject's packages are built from
    assert "pip install --no-deps /tmp/src" in text and " -e " not in text
    assert "rm -rf /tmp/src" in text  # `python -m sandbox` finds only the installed package


def test_dockerfile_requirements_step_reads_the_real_pyproject(tmp_path: Path) -> None:
    """The dependency layer's one-liner, run on pyproject.toml, lists base, server and redis."""
    text = DOCKERFILE.read_text().replace("\\\n", "")
    code = re.search(r'RUN python -c "(.+?)" > /tmp/requirements.txt', text)
    assert code, "no requirements step"
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    done = subprocess.run(
        [sys.executable, "-c", code.group(1)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    wanted = done.stdout.splitlines()
    assert any(r.startswith("flask") for r in wanted)
    assert any(r.startswith("gunicorn") for r in wanted)
    assert any(r.startswith("limits[redis]") for r in wanted)


def test_wsgi_module_refuses_a_missing_database_without_creating_or_migrating_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
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
    with pytest.raises(SystemExit) as stopped:
        importlib.import_module("sandbox.wsgi")
    assert stopped.value.code == 4  # gunicorn's "App failed to load": it stops
    assert f"Error: no database at {database}: run `bank-sandbox init-db` first" in (
        capsys.readouterr().err
    )
    assert not database.exists()


def test_wsgi_module_builds_the_app_on_a_database_init_db_prepared(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib
    import sys

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ready.db'}")
    monkeypatch.setenv("SANDBOX_SECRET_KEY", "wsgi-test")
    monkeypatch.setenv("SANDBOX_CLIENT_ID", "wsgi-test-id")  # keys given: init-db saves none
    monkeypatch.setenv("SANDBOX_SECRET", "wsgi-test-secret")  # into the checkout's instance/
    subprocess.run([sys.executable, "-m", "sandbox", "init-db"], check=True, capture_output=True)
    monkeypatch.delitem(sys.modules, "sandbox.wsgi", raising=False)
    wsgi = importlib.import_module("sandbox.wsgi")
    assert wsgi.app.url_map.bind("localhost").match("/control/health")
