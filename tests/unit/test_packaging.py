"""pyproject.toml ships every package and the catalogue; the wheel stage checks the built wheel.

``.ci/wheel-stage`` builds and installs the real wheel; these checks catch the cheap
mistakes (a new subpackage not listed, a seed file type not packaged) in the unit tier.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sandbox.core import institutions

ROOT = Path(__file__).resolve().parents[2]


def setuptools_config() -> dict[str, Any]:
    """The ``[tool.setuptools]`` table."""
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return dict(data["tool"]["setuptools"])


def test_every_package_directory_is_listed() -> None:
    found = {
        ".".join(module.parent.relative_to(ROOT).parts)
        for top in ("sandbox", "client")
        for module in (ROOT / top).rglob("*.py")
    }
    listed = set(setuptools_config()["packages"])
    assert found | {"sandbox._seeds"} == listed


def test_seeds_folder_is_the_seeds_package_and_every_file_is_package_data() -> None:
    config = setuptools_config()
    assert config["package-dir"]["sandbox._seeds"] == "seeds"
    patterns = config["package-data"]["sandbox._seeds"]
    files = [p for p in (ROOT / "seeds").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    unpackaged = [
        p.relative_to(ROOT / "seeds")
        for p in files
        if p.suffix != ".py" and not any(p.relative_to(ROOT / "seeds").match(g) for g in patterns)
    ]
    assert files and unpackaged == []


def test_the_catalogue_is_read_through_the_package() -> None:
    assert (institutions.SEEDS_DIR / "institutions.json").is_file()
    assert institutions.catalogue()["ins_109508"].name


def test_setuptools_is_new_enough_for_an_spdx_license() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["project"]["license"] == "MIT"
    assert "setuptools>=77" in data["build-system"]["requires"]
