"""``bank-sandbox faults``: a refused rule is one line naming the options the user typed, not
the control API's fields (``--code``, not ``error_code``)."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from sandbox.cli import init_db
from sandbox.faults_cli import faults_group
from tests.unit.test_cli import cli_app as cli_app  # the fixture


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--code", "NOPE"],
            "--code NOPE is not an error code Plaid knows: use one of the README's error table "
            "(Errors you can trigger), such as ITEM_LOCKED",
        ),
        (
            [],
            "a fault rule needs an action: --code, --status, --latency-ms, --latency, --drop "
            "or --truncate",
        ),
        (["--status", "99"], "--status must be an integer from 200 to 599"),
        (["--drop", "--truncate"], "choose one of --code, --status, --drop, --truncate"),
        (
            ["--code", "ITEM_LOCKED", "--trigger", "sometimes"],
            "Invalid value for '--trigger': trigger must be one of always, nth, next, window, "
            "probability",
        ),
        (
            ["--code", "ITEM_LOCKED", "--trigger", "nth", "--n", "0"],
            "Invalid value for '--n': n must be an integer from 1 to 1000000",
        ),
        (
            ["--code", "ITEM_LOCKED", "--n", "3"],
            "Invalid value for '--n': n is read only by trigger nth or next, not always",
        ),
        (
            ["--latency", '{"distribution": "x"}'],
            "--latency.distribution must be one of uniform, normal, exponential",
        ),
    ],
)
def test_a_refused_rule_names_the_option(cli_app: Flask, args: list[str], line: str) -> None:
    cli_app.test_cli_runner().invoke(init_db)
    result = cli_app.test_cli_runner().invoke(faults_group, ["add", *args])
    assert result.exit_code == 1, result.output
    assert result.output == f"Error: {line}\n"


def test_a_truelayer_rule_can_be_added_from_the_command_line(cli_app: Flask) -> None:
    """The README's ``dialect`` field had no option: TrueLayer's faults were API-only."""
    cli_app.test_cli_runner().invoke(init_db)
    args = ["add", "--dialect", "truelayer", "--endpoint", "/data/v1/accounts"]
    result = cli_app.test_cli_runner().invoke(faults_group, [*args, "--code", "PROVIDER_TIMEOUT"])
    assert result.exit_code == 0, result.output
    rule = json.loads(result.output)
    assert (rule["dialect"], rule["error_code"]) == ("truelayer", "PROVIDER_TIMEOUT")
