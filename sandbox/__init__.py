"""Bank sandbox: a local, deterministic stand-in for bank-data aggregators.

``create_app`` is the only place an application is built.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import DEFAULTS, INTEGER_SETTINGS, sqlite_file

_ON = {"on": "on", "true": "on", "1": "on"}
_OFF = {"off": "off", "false": "off", "0": "off"}
# The spellings each word-valued setting accepts, and the word it means.
CHOICES: dict[str, dict[str, str]] = {
    "RATE_LIMITS": {**_ON, **_OFF},
    "READ_CACHE": {**_ON, **_OFF},
    "SHARED": {"auto": "auto", **_ON, **_OFF},
    "WEBHOOK_DISPATCHER": {"thread": "thread", "off": "off"},
    "WEBHOOK_REJECTION_RULE": {**_ON, **_OFF},
}

if TYPE_CHECKING:  # Flask loads in create_app, so the pytest plugin imports nothing heavy
    from flask import Flask, Response

MIGRATIONS = Path(__file__).parent / "migrations"
SUPPORTED_DATABASES = ("sqlite", "postgresql")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the sandbox: defaults, then ``SANDBOX_*``/``DATABASE_URL``, then ``config``.

    Built by Flask's own ``run`` (``flask --app sandbox run``), it also checks, as
    ``sandbox.wsgi`` does, that its database can be served as it stands: that server never
    migrates either.
    """
    from . import cli
    from .bootstrap import schema_problem
    from .failures import SettingsError

    with cli.flask_run_stops_in_one_line() as under_flask_run:
        app = _build(config or {})
        if under_flask_run and (problem := schema_problem(app)):
            raise SettingsError(problem)
    return app


def _build(config: Mapping[str, Any]) -> Flask:
    from sqlalchemy.exc import SQLAlchemyError

    from . import inputs, security
    from .application import SandboxFlask
    from .extensions import (
        commit_work,
        db,
        init_migrations,
        install_units_of_work,
        reading_requests,
    )
    from .failures import SettingsError, one_line
    from .rendering import OrjsonProvider
    from .routing import LazyBuilderRule

    app = SandboxFlask(__name__, instance_relative_config=True, static_folder=None)
    app.url_rule_class = LazyBuilderRule  # URL builders compile at first use, not at start
    try:
        _configure(app, config)
    except (ImportError, ValueError, SQLAlchemyError) as exc:  # a bad setting or database URL
        raise SettingsError(f"cannot start from these settings: {one_line(exc)}") from None
    inputs.install(app, OrjsonProvider)  # before the blueprints: their URL rules use its converters
    security.install(app)
    init_migrations(app, str(MIGRATIONS))
    _register_blueprints(app)
    install_units_of_work(app)  # after the blueprints: wraps every view they registered
    reading_requests(app)

    @app.after_request
    def commit_on_success(response: Response) -> Response:
        """One database transaction per request: kept on success, dropped on error (a view's
        unit of work has committed already: ``commit_work`` then has nothing to commit)."""
        if response.status_code < 400:
            commit_work(db.session())
        else:
            db.session.rollback()
        return response

    return app


def _configure(app: Flask, config: Mapping[str, Any]) -> None:
    """Settings (defaults, then ``SANDBOX_*``/``DATABASE_URL``, then ``config``), checked,
    and the database engine they name, keyed for hashing and sealing."""
    from .core import keyring
    from .extensions import db
    from .rendering import json_column

    app.config.from_mapping(DEFAULTS)
    app.config.from_mapping(_from_environment())
    app.config.from_mapping(config)
    _check_choices(app.config)
    _check_integers(app.config)
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(app)
    engine_options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    engine_options.setdefault("json_deserializer", json_column)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _instance_secret_key(app)
    db.init_app(app)
    with app.app_context():  # every session on this engine hashes and seals with this key
        keyring.register(db.engine, app.config["SECRET_KEY"])


def _from_environment() -> dict[str, Any]:
    """Settings from ``DATABASE_URL`` and ``SANDBOX_*``, kept as strings (secrets stay intact)."""
    found: dict[str, Any] = {}
    if os.environ.get("DATABASE_URL"):
        found["DATABASE_URL"] = os.environ["DATABASE_URL"]
    for key in DEFAULTS:
        value = os.environ.get(f"SANDBOX_{key}")
        if value is not None:
            found[key] = value
    return found


def _check_choices(config: dict[str, Any]) -> None:
    """Settings that take one of a few words, turned into the word the code compares with
    (``RATE_LIMITS=false`` left the limits on, ``WEBHOOK_DISPATCHER=bogus`` started without
    a dispatcher); anything else is refused, naming the variable and what it takes."""
    from .failures import SettingsError

    for key, spellings in CHOICES.items():
        value = str(config[key]).strip().lower()
        if value not in spellings:
            allowed = ", ".join(dict.fromkeys(spellings))
            raise SettingsError(f"SANDBOX_{key} must be one of {allowed}, not {config[key]!r}")
        config[key] = spellings[value]


def _check_integers(config: dict[str, Any]) -> None:
    """Integer settings (strings from the environment) turned into numbers; one that is not
    a number in its range is refused, naming the variable and the range."""
    from .failures import SettingsError

    for key, (lowest, highest) in INTEGER_SETTINGS.items():
        value = config[key]
        try:
            number = None if isinstance(value, bool) else int(value)
        except (TypeError, ValueError):
            number = None
        if number is None or number < lowest or (highest is not None and number > highest):
            bounds = f"of at least {lowest}" if highest is None else f"from {lowest} to {highest}"
            raise SettingsError(f"SANDBOX_{key} must be an integer {bounds}, not {value!r}")
        config[key] = number


def _register_blueprints(app: Flask) -> None:
    from . import cli, control, plaid, truelayer, web
    from .openapi.routes import bp as openapi_bp

    app.register_blueprint(plaid.bp)
    truelayer.register(app)
    app.register_blueprint(control.bp, url_prefix=f"/{control.SEGMENT}")
    web.claim_error_format(app, (control.SEGMENT,), control.render_error)
    app.register_blueprint(openapi_bp)
    app.register_blueprint(web.bp)
    web.register_error_pages(app)
    cli.register(app)


def _database_url(app: Flask) -> str:
    url = str(app.config["DATABASE_URL"] or "")
    if not url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{Path(app.instance_path) / 'sandbox.db'}"
    _check_backend(url)
    _check_sqlite_file(url, Path(app.instance_path))
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _check_backend(url: str) -> None:
    """SQLite or PostgreSQL, the databases the sandbox runs on (and tests on), through a
    driver that is installed. SQLAlchemy refused others naming a missing module
    (``mysql://``: "No module named 'MySQLdb'") or plugin, not the setting, nor what would do."""
    from sqlalchemy.engine import make_url

    from .failures import SettingsError

    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_DATABASES:
        raise SettingsError(
            f"DATABASE_URL names a {backend} database: the sandbox runs on SQLite "
            "(sqlite:///path/to/file.db, the default) or PostgreSQL "
            "(postgresql://user@host/database)"
        )
    try:
        parsed.get_dialect().import_dbapi()
    except ImportError as exc:
        raise SettingsError(
            f"DATABASE_URL names the driver {parsed.get_driver_name()}, which is not installed: "
            f"use {backend}:// (its driver comes with the sandbox)"
        ) from exc


def _check_sqlite_file(url: str, instance: Path) -> None:
    """A SQLite file in a folder that exists, not a folder: SQLite said only "unable to open
    database file", naming neither the path nor what is wrong with it. A relative path is
    in the instance folder, as Flask-SQLAlchemy places it."""
    from sqlalchemy.engine import make_url

    from .failures import SettingsError

    parsed = make_url(url)
    file = sqlite_file(parsed)
    if file is None or parsed.query.get("uri"):  # a ``file:`` URI: SQLite reads its options
        return
    path = instance / file  # an absolute path stays itself
    if path.is_dir():
        raise SettingsError(f"DATABASE_URL names the folder {path}: name a file in it")
    if not path.parent.is_dir():
        raise SettingsError(f"DATABASE_URL names {path}, in a folder that does not exist")


def _instance_secret_key(app: Flask) -> str:
    """A secret key kept in the instance folder, so every worker and restart shares it."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
