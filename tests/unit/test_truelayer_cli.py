"""``bank-sandbox truelayer``: TrueLayer clients from the command line."""

from __future__ import annotations

import json

from flask import Flask

from sandbox.cli import init_db
from sandbox.truelayer_cli import truelayer_group
from tests.unit.test_cli import cli_app as cli_app  # the fixture


def run(app: Flask, *args: str) -> list[dict[str, object]]:
    result = app.test_cli_runner().invoke(truelayer_group, list(args))
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_clients_lists_the_default_tenants_own_client(cli_app: Flask) -> None:
    cli_app.test_cli_runner().invoke(init_db)
    (own,) = run(cli_app, "clients")
    assert own["client_id"] == "cli-client" and own["consent_days"] == 90


def test_update_client_adds_a_redirect_uri_and_consent_days(cli_app: Flask) -> None:
    cli_app.test_cli_runner().invoke(init_db)
    args = (
        "update-client",
        "--add-redirect-uri",
        "http://localhost:8080/cb",
        "--consent-days",
        "30",
    )
    (changed,) = run(cli_app, *args)
    assert changed["redirect_uris"] == [
        "http://localhost:3000/callback",
        "https://console.truelayer.com/redirect-page",
        "http://localhost:8080/cb",
    ]
    assert run(cli_app, "clients")[0]["consent_days"] == 30  # committed


def test_add_client_prints_its_secret_once(cli_app: Flask) -> None:
    cli_app.test_cli_runner().invoke(init_db)
    (made,) = run(
        cli_app, "add-client", "--redirect-uri", "https://app.example/cb", "--name", "Demo"
    )
    assert str(made["client_id"]).startswith("sandbox-demo-") and made["client_secret"]
    assert len(run(cli_app, "clients")) == 2


def test_bad_redirect_uri_is_one_line_naming_the_field(cli_app: Flask) -> None:
    cli_app.test_cli_runner().invoke(init_db)
    result = cli_app.test_cli_runner().invoke(
        truelayer_group, ["add-client", "--redirect-uri", "ftp://nope"]
    )
    assert result.exit_code == 1, result.output
    assert result.output == (
        "Error: Invalid value for '--redirect-uri': a redirect URI is an absolute http(s) URI "
        "without a fragment\n"
    )


def test_consent_days_out_of_range_names_the_option(cli_app: Flask) -> None:
    cli_app.test_cli_runner().invoke(init_db)
    result = cli_app.test_cli_runner().invoke(
        truelayer_group, ["update-client", "--consent-days", "0"]
    )
    assert result.exit_code == 1, result.output
    assert result.output == "Error: --consent-days is a whole number of days from 1 to 3650\n"


def test_update_of_an_unknown_client_names_the_option_and_the_id(cli_app: Flask) -> None:
    """It said "client_id: the client_id or client_secret is not valid": no secret was given,
    and the option is ``--app-client``."""
    cli_app.test_cli_runner().invoke(init_db)
    result = cli_app.test_cli_runner().invoke(
        truelayer_group, ["update-client", "--app-client", "sandbox-nope", "--consent-days", "5"]
    )
    assert result.exit_code == 1, result.output
    assert result.output == (
        "Error: Invalid value for '--app-client': no TrueLayer client sandbox-nope "
        "(`bank-sandbox truelayer clients`)\n"
    )


def test_a_display_name_is_set_by_add_client_and_update_client(cli_app: Flask) -> None:
    cli_app.test_cli_runner().invoke(init_db)
    (made,) = run(
        cli_app,
        "add-client",
        "--redirect-uri",
        "https://app.example/cb",
        "--display-name",
        "Budget Buddy",
    )
    assert made["display_name"] == "Budget Buddy"
    (own,) = run(cli_app, "update-client", "--display-name", "My Test App")
    assert own["display_name"] == "My Test App"
    assert [c["display_name"] for c in run(cli_app, "clients")] == ["My Test App", "Budget Buddy"]


def test_update_client_clears_the_display_name_only_when_told(cli_app: Flask) -> None:
    cli_app.test_cli_runner().invoke(init_db)
    run(cli_app, "update-client", "--display-name", "My Test App")
    (kept,) = run(cli_app, "update-client", "--consent-days", "30")
    assert kept["display_name"] == "My Test App"
    (cleared,) = run(cli_app, "update-client", "--clear-display-name")
    assert cleared["display_name"] is None
    both = cli_app.test_cli_runner().invoke(
        truelayer_group, ["update-client", "--display-name", "X", "--clear-display-name"]
    )
    assert both.exit_code == 2 and "not both" in both.output


def test_a_display_name_with_control_characters_is_one_line_naming_the_option(
    cli_app: Flask,
) -> None:
    cli_app.test_cli_runner().invoke(init_db)
    result = cli_app.test_cli_runner().invoke(
        truelayer_group, ["update-client", "--display-name", "App\x1b]0;owned\x07"]
    )
    assert result.exit_code == 1, result.output
    assert result.output == (
        "Error: --display-name is 1 to 80 characters, not blank, without control characters\n"
    )
    assert run(cli_app, "clients")[0]["display_name"] is None
