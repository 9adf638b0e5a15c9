"""The ``bank-sandbox`` data commands, run through Flask's CLI runner on a SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from sandbox import create_app
from sandbox.cli import clock, init_db, reset, seed, tenants_group
from sandbox.extensions import db


@pytest.fixture
def cli_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a fresh SQLite file, with the default tenant's keys fixed."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "SEED": 3,
            "CLIENT_ID": "cli-client",
            "SECRET": "cli-secret-0123456789",
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_init_db_creates_schema_and_default_tenant(cli_app: Flask) -> None:
    result = cli_app.test_cli_runner().invoke(init_db)
    assert result.exit_code == 0, result.output
    assert "default tenant cli-client" in result.output


def test_seed_defaults_link_one_item_per_demo_bank(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    result = runner.invoke(seed)
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    assert [m["institution_id"] for m in made] == ["ins_109508", "ins_56", "ins_10"]
    assert all(m["access_token"].startswith("access-sandbox-") for m in made)


def test_seed_unknown_institution_is_a_clean_error(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    result = runner.invoke(seed, ["--institution", "ins_nope"])
    assert result.exit_code == 1
    assert "INVALID_INSTITUTION" in result.output
    assert "Traceback" not in result.output


def test_tenants_create_then_list_shows_client_id_not_secret(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    created = json.loads(
        runner.invoke(tenants_group, ["create", "--name", "ci", "--seed", "9"]).output
    )
    listed = runner.invoke(tenants_group, ["list"]).output
    assert created["client_id"] in listed
    assert created["secret"] not in listed


def test_reset_forgets_the_default_tenants_items(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    runner.invoke(seed, ["--institution", "ins_109508"])
    assert runner.invoke(reset).output.strip() == "reset"
    again = json.loads(runner.invoke(seed, ["--institution", "ins_109508"]).output)
    assert len(again) == 1  # item ids restart after a reset, without clashing with old rows


def test_clock_freezes_and_advances_the_default_tenant(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    frozen = runner.invoke(clock, ["--set", "2031-01-01T00:00:00", "--freeze"])
    assert frozen.exit_code == 0, frozen.output
    assert frozen.output.startswith("2031-01-01T00:00:00+00:00 (frozen)")
    moved = runner.invoke(clock, ["--advance-days", "3"])
    assert moved.output.startswith("2031-01-04T00:00:00+00:00 (frozen)")


def test_clock_refuses_to_go_back(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    runner.invoke(clock, ["--set", "2031-01-01T00:00:00", "--freeze"])
    result = runner.invoke(clock, ["--set", "2030-01-01T00:00:00"])
    assert result.exit_code == 1 and "the clock only moves forward" in result.output
