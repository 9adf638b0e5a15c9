"""The "Errors you can trigger" table matches the code, so it cannot drift.

The table lives in README.md under ``## Errors you can trigger``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.core import errors
from sandbox.core.faults import ratelimits
from sandbox.plaid.errors import ERRORS, error_type_and_status

ROOT = Path(__file__).resolve().parents[2]
HEADING = "## Errors you can trigger"
_ROW = re.compile(r"^\|\s*`([A-Z0-9_]+)`\s*\|\s*([A-Z_]+)\s*\|\s*(\d{3})\s*\|(.*)\|(.*)\|\s*$")


def _subclasses(cls: type[errors.CoreError]) -> list[type[errors.CoreError]]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


def _section() -> str:
    after = (ROOT / "README.md").read_text().split(HEADING, 1)[1]
    return re.split(r"^## ", after, maxsplit=1, flags=re.M)[0]


def table() -> dict[str, tuple[str, int, str, str]]:
    """``error_code`` → (error_type, HTTP, how to trigger, message) from the document."""
    rows: dict[str, tuple[str, int, str, str]] = {}
    for line in _section().splitlines():
        if match := _ROW.match(line):
            code, kind, status, how, message = match.groups()
            assert code not in rows, f"{code} is listed twice"
            rows[code] = (kind, int(status), how.strip(), message.strip())
    return rows


def conditions() -> dict[str, type[errors.CoreError]]:
    """Every condition a core error class defines (its own, not inherited), with the class
    the sandbox raises for it (a fault's ``code=``, an ``error_<CODE>`` password): of two
    classes with one condition, the more specific (``InvalidField``, not ``InvalidRequest``);
    a class outside the core (``AdminTokenRequired``) is raised as itself."""
    found: dict[str, type[errors.CoreError]] = {}
    for cls in _subclasses(errors.CoreError):
        if "condition" in cls.__dict__:
            found[cls.condition] = errors.for_condition(cls.condition) or cls
    return found


@pytest.mark.parametrize("condition", sorted(conditions()))
def test_every_core_error_is_in_the_table_with_its_type_status_and_message(condition: str) -> None:
    cls = conditions()[condition]
    kind, status = error_type_and_status(cls())
    assert condition in table(), f"add a row for {condition}"
    row = table()[condition]
    assert row[:2] == (kind, status)
    assert row[3] == cls().message
    assert row[2], f"say how to trigger {condition}"


@pytest.mark.parametrize("code", sorted(ratelimits.CODES))
def test_every_rate_limit_code_is_in_the_table(code: str) -> None:
    assert table()[code][:2] == error_type_and_status(errors.RateLimited(code=code))


def test_the_table_lists_nothing_the_code_cannot_produce() -> None:
    assert set(table()) <= set(conditions()) | ratelimits.CODES


def test_every_error_type_of_the_plaid_dialect_appears() -> None:
    assert {row.error_type for row in ERRORS.values()} == {row[0] for row in table().values()}
