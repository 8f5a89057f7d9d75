"""The wheel installs as a tool and works far from the checkout (issue 21): it is built from
the files the build needs, installed into a throw-away virtual environment in a temporary
folder, and that environment's `koito-import` runs --version, db upgrade, an import, runs and
report, from a folder outside the repository.

Offline, so it runs where nothing but loopback exists: the wheel is built without build
isolation (the development environment's setuptools and wheel, from the test extra), and the
new environment gets nothing from an index. Its dependencies come from the development
environment, but only those the wheel declares: each distribution in the closure of the
wheel's Requires-Dist is linked into a folder that a .pth file adds to the new environment's
path. So the test fails when a package, a migration or the Mako template is left out of the
wheel (koito_import is a regular package: its modules are found only inside the wheel's copy),
and when a dependency is imported but not declared."""

from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from koito_import import __version__

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "maloja-export.json"
# What setuptools reads to build the wheel (pyproject.toml names the rest).
BUILD_INPUTS = ("pyproject.toml", "README.md", "koito_import", "migrations")


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    if env is None:  # the suite puts the checkout on PYTHONPATH: pip would take it as installed
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        list(map(str, args)), cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def build_wheel(tmp_path: Path) -> Path:
    source, out = tmp_path / "source", tmp_path / "dist"
    source.mkdir()
    for name in BUILD_INPUTS:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
        copy(REPO / name, source / name)  # type: ignore[operator]
    pip = [sys.executable, "-m", "pip"]
    run(
        *pip,
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-w",
        out,
        source,
        cwd=tmp_path,
    )
    (wheel,) = out.glob("koito_import-*.whl")
    return wheel


def requirements(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.message_from_bytes(z.read(name))
    return [Requirement(r) for r in meta.get_all("Requires-Dist") or []]


def closure(wanted: list[Requirement]) -> dict[str, metadata.Distribution]:
    """The installed distributions the requirements need (extras followed, markers applied)."""
    found: dict[str, metadata.Distribution] = {}
    seen: set[tuple[str, str]] = set()
    todo = [(r, "") for r in wanted]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        dist = metadata.distribution(req.name)
        found[dist.metadata["Name"].lower()] = dist
        for want in ("", *req.extras):
            if (req.name.lower(), want) not in seen:
                seen.add((req.name.lower(), want))
                todo.extend((Requirement(r), want) for r in dist.requires or [])
    return found


def link_dependencies(wheel: Path, folder: Path) -> set[str]:
    """Link each declared dependency's top-level files into `folder`; return their names."""
    folder.mkdir()
    names: set[str] = set()
    for dist in closure(requirements(wheel)).values():
        for file in dist.files or []:
            top = file.parts[0]
            if top in ("..", "__pycache__") or top.endswith(".pth") or top in names:
                continue
            names.add(top)
            (folder / top).symlink_to(dist.locate_file(top))
    return names


def test_the_wheel_installs_and_works_far_from_the_checkout(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    venv = tmp_path / "tool"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python, tool = venv / "bin" / "python", venv / "bin" / "koito-import"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        wheel, cwd=tmp_path)  # fmt: skip
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                    cwd=tmp_path).strip())  # fmt: skip
    linked = link_dependencies(wheel, tmp_path / "deps")
    assert {"typer", "psycopg", "alembic", "sqlalchemy", "orjson", "bcrypt"} <= linked
    assert not any(name.startswith(("koito_import", "__editable__")) for name in linked)
    (site / "koito_import_test_deps.pth").write_text(f"{tmp_path / 'deps'}\n")

    home = tmp_path / "elsewhere"  # no checkout here, and none on the path
    home.mkdir()
    shutil.copy(SAMPLE, home / "maloja-export.json")
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    where = run(python, "-c", "import koito_import.migrations as m; print(m.__file__)",
                cwd=home, env=env)  # fmt: skip
    assert Path(where.strip()).is_relative_to(site)

    assert run(tool, "--version", cwd=home, env=env) == f"koito-import {__version__}\n"
    db = home / "koito.db"
    upgraded = run(tool, "db", "upgrade", "--db", db, cwd=home, env=env)
    assert "created Koito's schema" in upgraded
    summary = json.loads(run(tool, "maloja", "maloja-export.json", "--json", cwd=home, env=env))
    assert summary["inserted"] > 0 and summary["version"] == __version__
    listed = json.loads(run(tool, "runs", "--json", cwd=home, env=env))
    assert [r["version"] for r in listed] == [__version__]
    report = json.loads(run(tool, "report", "--json", cwd=home, env=env))
    assert report["listens"] == summary["inserted"]
    assert sorted(os.listdir(home)) == ["koito.db", "maloja-export.json"]
