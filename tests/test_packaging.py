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
        assert (_directory(package) / "__init__.py").is_file() or _directory(package).is_dir(), (
            package
        )


def test_every_package_data_pattern_matches_a_file() -> None:
    for package, patterns in SETUPTOOLS.get("package-data", {}).items():
        for pattern in patterns:
            assert list(_directory(package).glob(pattern)), f"{package}: {pattern} matches nothing"
