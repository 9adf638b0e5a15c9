"""The plugin costs nothing in a pytest run that uses none of its fixtures.

Structural checks, not timings (``bench/bench_plugin.py`` measures the time): importing the
plugin, and a whole pytest session that loads it, import nothing beyond the standard
library and the plugin's two light modules. Flask, SQLAlchemy and the app load only when a
test asks for a sandbox fixture.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("flask", "werkzeug", "sqlalchemy", "alembic", "requests", "psycopg", "client")
LIGHT = {"sandbox", "sandbox.config", "sandbox.pytest_plugin", "sandbox.testing"}

REPORT_MODULES = """
import json
import sys


def pytest_sessionfinish(session):
    plugin = session.config.pluginmanager.get_plugin("bank_sandbox")
    report = {"plugin": plugin is not None, "modules": sorted(sys.modules)}
    with open("modules.json", "w") as handle:
        json.dump(report, handle)
"""


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = "import sys, json, sandbox.pytest_plugin; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.check_output([sys.executable, "-c", code], text=True))
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
    assert {m for m in loaded if m.split(".")[0] == "sandbox"} == LIGHT


def session_modules(pytester: pytest.Pytester, *args: str) -> tuple[bool, set[str]]:
    """Whether the plugin was loaded, and what a session of one plain test imported."""
    pytester.makeconftest(REPORT_MODULES)
    pytester.makepyfile("def test_plain():\n    assert True\n")
    pytester.runpytest_subprocess("-p", "no:cacheprovider", *args).assert_outcomes(passed=1)
    report = json.loads((pytester.path / "modules.json").read_text())
    return bool(report["plugin"]), set(report["modules"])


def test_a_session_using_no_fixture_adds_only_stdlib_and_the_light_modules(
    pytester: pytest.Pytester,
) -> None:
    loaded_without, without = session_modules(pytester, "-p", "no:bank_sandbox")
    loaded_with, with_plugin = session_modules(pytester)
    assert (loaded_without, loaded_with) == (False, True)
    added = with_plugin - without
    assert added >= LIGHT
    foreign = {m for m in added - LIGHT if m.split(".")[0] not in sys.stdlib_module_names}
    assert foreign == set()


def test_options_show_in_pytest_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--help")
    options = ["*bank sandbox*", "*--sandbox-seed=*", "*--sandbox-database-url=*"]
    result.stdout.fnmatch_lines(options)
