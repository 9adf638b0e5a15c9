"""The default tenant's keys: ``instance/credentials.json`` wins for as long as it exists.

Every case uses its own instance folder and SQLite file, so nothing here writes into the
checkout (the README promises that tests never do).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from sandbox import create_app
from sandbox.bootstrap import CredentialsFileError, ensure_default_tenant, upgrade_schema
from sandbox.core import tenants
from sandbox.extensions import db


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Any]:
    """Apps on a given SQLite file, all sharing one instance folder in ``tmp_path``."""
    made: list[Flask] = []

    def build(database: str, **config: Any) -> Flask:
        app = create_app(
            {"DATABASE_URL": f"sqlite:///{tmp_path / database}", "SECRET_KEY": "x", **config}
        )
        app.instance_path = str(tmp_path / "instance")
        upgrade_schema(app)
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.engine.dispose()


def saved(tmp_path: Path) -> dict[str, str]:
    """The credentials file as data."""
    data: dict[str, str] = json.loads((tmp_path / "instance" / "credentials.json").read_text())
    return data


def test_first_start_makes_keys_and_saves_them_private(make_app: Any, tmp_path: Path) -> None:
    keys = ensure_default_tenant(make_app("a.db"))
    assert saved(tmp_path) == {"client_id": keys.client_id, "secret": keys.secret}
    assert (tmp_path / "instance" / "credentials.json").stat().st_mode & 0o777 == 0o600


def test_a_fresh_database_keeps_the_saved_keys(make_app: Any, tmp_path: Path) -> None:
    first = ensure_default_tenant(make_app("a.db"))
    before = (tmp_path / "instance" / "credentials.json").stat().st_mtime_ns
    second = ensure_default_tenant(make_app("b.db"))  # e.g. the tests' own database
    assert second == first
    assert (tmp_path / "instance" / "credentials.json").stat().st_mtime_ns == before


def test_the_saved_keys_authenticate_on_the_fresh_database(make_app: Any) -> None:
    keys = ensure_default_tenant(make_app("a.db"))
    app = make_app("b.db")
    ensure_default_tenant(app)
    with app.app_context():
        tenant = tenants.authenticate(db.session, keys.client_id, keys.secret)
    assert tenant.name == "default"


def test_the_file_wins_over_keys_already_in_the_database(make_app: Any, tmp_path: Path) -> None:
    configured = make_app("a.db", CLIENT_ID="from-env", SECRET="from-env-secret-0123")
    assert ensure_default_tenant(configured).client_id == "from-env"
    assert not (tmp_path / "instance" / "credentials.json").exists()  # env keys are not saved
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "credentials.json").write_text(
        json.dumps({"client_id": "from-file", "secret": "from-file-secret-0123"})
    )
    assert ensure_default_tenant(make_app("a.db")).client_id == "from-file"


def test_new_keys_only_once_the_file_is_gone(make_app: Any, tmp_path: Path) -> None:
    first = ensure_default_tenant(make_app("a.db"))
    (tmp_path / "instance" / "credentials.json").unlink()
    second = ensure_default_tenant(make_app("a.db"))
    assert second.client_id != first.client_id
    assert saved(tmp_path)["client_id"] == second.client_id


@pytest.mark.parametrize("content", ["{not json", "[]", '{"client_id": "only-half"}'])
def test_an_unreadable_file_is_an_error_that_says_what_to_do(
    make_app: Any, tmp_path: Path, content: str
) -> None:
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "credentials.json").write_text(content)
    with pytest.raises(CredentialsFileError, match="delete it to make new keys"):
        ensure_default_tenant(make_app("a.db"))
    assert (tmp_path / "instance" / "credentials.json").read_text() == content
