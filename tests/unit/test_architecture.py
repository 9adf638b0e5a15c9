"""The dialect-neutral core, enforced: the import-linter contracts in pyproject.toml hold.

``lint-imports`` runs here (through its Python API) so CI fails as soon as the core
imports Flask or a dialect, or a dialect reaches past ``sandbox.core.bank``. Nor may the
core's strings word a dialect: its name and documentation pages are the dialect's to register,
as are the endpoints an outage breaks or a rate limit counts and the pages that receive codes.
"""

from __future__ import annotations

import ast
import logging
import pkgutil
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from importlinter.cli import lint_imports

import sandbox.core
import sandbox.plaid.errors  # each dialect registers its name on import
import sandbox.truelayer.errors
from sandbox.core import errors

ROOT = Path(__file__).resolve().parents[2]
# What a dialect may import from the core: the facade, domain errors and value types.
DOORS = {"bank", "errors", "models", "institutions", "categories"}
# The modules that decide which calls an institution outage breaks or a rate limit counts: they
# hold no path at all.
PATHLESS_MODULES = {
    "sandbox/core/faults/rules.py",
    "sandbox/core/faults/health.py",
    "sandbox/core/faults/ratelimits.py",
}
# Dialect names the core's strings may hold: Plaid is the product the core is modelled on
# (its webhook signature header, its Signal attribute names, its category icons' host).
CORE_MODELLED_ON = {"Plaid"}


def _config() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]  # type: ignore[no-any-return]


def _contract(config: dict[str, Any], contract_id: str) -> dict[str, Any]:
    return next(c for c in config["contracts"] if c["id"] == contract_id)


def _lint(config_file: Path) -> int:
    """``lint_imports`` with this process's loggers left as they were.

    import-linter configures logging with ``dictConfig``, whose default disables every logger
    that already exists (the app's, Flask-Migrate's): any later test reading their records
    through ``caplog`` would see nothing, depending on which tests ran before.
    """
    existing = logging.Logger.manager.loggerDict.values()
    enabled = [log for log in existing if isinstance(log, logging.Logger) and not log.disabled]
    try:
        return lint_imports(config_filename=str(config_file), no_cache=True, no_logo=True)
    finally:
        for log in enabled:
            log.disabled = False


def test_the_contracts_hold() -> None:
    """Core neutral, facade the only door, web > control > plaid > core, no import loops."""
    assert _lint(ROOT / "pyproject.toml") == 0


def test_linting_leaves_the_process_loggers_enabled() -> None:
    """Running the linter here must not silence the app's logs for the tests that follow."""
    app_logger = logging.getLogger("sandbox")
    _lint(ROOT / "pyproject.toml")
    assert not app_logger.disabled


def test_every_core_module_is_a_door_or_forbidden_to_dialects() -> None:
    """A new core module must be classified, so it cannot slip past the facade contract."""
    forbidden = _contract(_config(), "facade-is-the-door")["forbidden_modules"]
    names = {m.name for m in pkgutil.iter_modules(sandbox.core.__path__)}
    assert {f.removeprefix("sandbox.core.") for f in forbidden} == names - DOORS


def test_a_dialect_importing_a_forbidden_module_breaks_the_build(tmp_path: Path) -> None:
    """The facade contract sees direct imports: forbidding the facade itself must fail."""
    config = _config()
    contract = dict(_contract(config, "facade-is-the-door"), id="probe")
    contract["forbidden_modules"] = [*contract["forbidden_modules"], "sandbox.core.bank"]
    probe = tmp_path / "probe.toml"
    probe.write_text(_toml({**config, "contracts": [contract]}))
    assert _lint(probe) == 1


@pytest.mark.parametrize("layer", ["sandbox.core", "sandbox.plaid"])
def test_lower_layers_import_no_upper_layer(layer: str, tmp_path: Path) -> None:
    """Swapping a layer above the ones that use it is reported as broken."""
    config = _config()
    contract = dict(_contract(config, "layers"), id="probe")
    layers = [name for name in contract["layers"] if name != layer]
    contract["layers"] = [layer, *layers]
    probe = tmp_path / "probe.toml"
    probe.write_text(_toml({**config, "contracts": [contract]}))
    assert _lint(probe) == 1


def _toml(config: dict[str, Any]) -> str:
    """The importlinter table as TOML (strings, booleans and lists of strings only)."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return '"' + str(v) + '"'

    lines = ["[tool.importlinter]"]
    lines += [f"{k} = {value(v)}" for k, v in config.items() if k != "contracts"]
    for contract in config["contracts"]:
        lines += ["", "[[tool.importlinter.contracts]]"]
        lines += [f"{k} = {value(v)}" for k, v in contract.items()]
    return "\n".join(lines) + "\n"


def test_an_import_loop_breaks_the_build(tmp_path: Path) -> None:
    """The loop contract sees package-level cycles: the facade and its parts import each
    other once annotations count."""
    config = {**_config(), "exclude_type_checking_imports": False}
    contract = dict(_contract(config, "no-loops"), id="probe", ancestors=["sandbox.core"])
    probe = tmp_path / "probe.toml"
    probe.write_text(_toml({**config, "contracts": [contract]}))
    assert _lint(probe) == 1


def _core_strings() -> list[tuple[str, int, str]]:
    """Every string constant of ``sandbox/core`` (f-string parts included) except docstrings,
    which may tell the history or the provider a rule follows: (file, line, text)."""
    found = []
    for path in sorted((ROOT / "sandbox" / "core").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        found += [
            (str(path.relative_to(ROOT)), node.lineno, node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ]
    return found


def test_the_core_words_no_dialect() -> None:
    """A message of the core naming a dialect or pointing at its docs page drifts from the
    dialect (and is wrong for the next one): each dialect registers its name and the page of
    its codes (``errors.add_dialect_codes``). Dialect ids as keys (``"truelayer"``) are fine."""
    names = {known.name for known in errors.DIALECT_CODES.values()} - CORE_MODELLED_ON
    assert names, "no dialect registered a name to look for"
    words = [*names, "docs/"]
    wording = [
        f"{file}:{line}: {text!r}"
        for file, line, text in _core_strings()
        if any(word in text for word in words)
    ]
    assert wording == []


def _dialect_path(file: str, text: str) -> bool:
    """Whether a core string holds what a dialect says: an endpoint path (``/accounts/get``,
    ``/data/v1/…``, in a message too), an endpoint glob (``/accounts/*``), a provider's host,
    or any path (not a lone ``/``) in the modules that hold none."""
    return (
        "truelayer.com" in text
        or re.search(r"(^|\s)/[a-z_]+/", text) is not None
        or re.fullmatch(r"/\S*\*\S*", text) is not None
        or (file in PATHLESS_MODULES and re.match(r"/\S", text) is not None)
    )


def test_the_core_holds_no_dialect_paths() -> None:
    """The endpoints an outage breaks or a rate limit counts, and the redirect URIs a tenant's
    own client starts with beyond a local callback, are each dialect's to register
    (``add_outage_endpoints``, ``add_rate_limits``, ``add_default_redirect_uris``); a core
    message says what is wrong, not which dialect's endpoint was called (docstrings may name
    the endpoints the core was modelled on)."""
    paths = [
        f"{file}:{line}: {text!r}"
        for file, line, text in _core_strings()
        if _dialect_path(file, text)
    ]
    assert paths == []
