"""What pyproject.toml ships points at files that exist."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def _directory(package: str) -> Path:
    mapped = SETUPTOOLS.get("package-dir", {})
    for name in sorted(mapped, key=len, reverse=True):  # the longest mapped prefix wins
        if package == name or package.startswith(name + "."):
            return REPO / mapped[name] / package.removeprefix(name).lstrip(".").replace(".", "/")
    return REPO / package.replace(".", "/")


def test_every_package_exists() -> None:
    for package in SETUPTOOLS["packages"]:
        assert (_directory(package) / "__init__.py").is_file(), package


def test_every_package_of_the_source_is_shipped() -> None:
    """A folder of modules left out of the list would be missing from the installed tool."""
    shipped = {_directory(package) for package in SETUPTOOLS["packages"]}
    for root in (REPO / "koito_import", REPO / "migrations"):
        for init in root.rglob("__init__.py"):
            assert init.parent in shipped, init.parent.relative_to(REPO)


def test_every_package_data_pattern_matches_a_file() -> None:
    for package, patterns in SETUPTOOLS.get("package-data", {}).items():
        for pattern in patterns:
            assert list(_directory(package).glob(pattern)), f"{package}: {pattern} matches nothing"
