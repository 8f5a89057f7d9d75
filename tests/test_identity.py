"""Which koito-import this is (issue 21): --version and -h, the version in every --json summary,
and with every run in the ledger, so `runs` tells which version wrote what."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import tomllib
from pathlib import Path

from koito_import import __version__
from koito_import.core.dburl import Database
from tests.conftest import FIXTURES
from tests.support import CLI, cli

MALOJA = FIXTURES / "maloja" / "export.json"
REPO = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60)


def test_version_and_short_help() -> None:
    done = run("--version")
    assert (done.returncode, done.stdout) == (0, f"koito-import {__version__}\n")
    for args in (("-h",), ("maloja", "-h"), ("db", "-h"), ("db", "upgrade", "-h")):
        short, long = run(*args), run(*args[:-1], "--help")
        assert short.returncode == 0 and short.stdout == long.stdout, args
        assert "Usage: koito-import" in short.stdout


def test_the_version_is_written_once() -> None:
    """pyproject takes it from the package, so the wheel's metadata says the same."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "koito_import.__version__"
    }


def test_every_json_summary_and_run_carries_the_version(any_db: Database) -> None:
    done = cli("maloja", MALOJA, "--json", "--quiet", db=any_db)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["version"] == __version__
    dry = cli("maloja", MALOJA, "--json", "--quiet", "--dry-run", db=any_db)
    assert json.loads(dry.stdout)["version"] == __version__
    listed = json.loads(cli("runs", "--json", db=any_db).stdout)
    assert [r["version"] for r in listed] == [__version__]


def test_runs_of_a_database_an_older_version_upgraded_show_no_version(sqlite_db: Database) -> None:
    """A ledger from before revision 0004 has no version column: `runs` still lists it (version
    null), and the next import adds the column and records its own version."""
    assert cli("maloja", MALOJA, "--quiet", db=sqlite_db).returncode == 0
    with sqlite3.connect(sqlite_db.path) as conn:  # as revision 0003 left it
        conn.execute("ALTER TABLE koito_import_runs DROP COLUMN version")
        conn.execute("UPDATE koito_import_alembic_version SET version_num = '0003_ledger'")
    conn.close()
    listed = cli("runs", "--json", db=sqlite_db)
    assert listed.returncode == 0, listed.stderr
    assert [r["version"] for r in json.loads(listed.stdout)] == [None]

    assert cli("maloja", MALOJA, "--quiet", db=sqlite_db).returncode == 0
    listed = cli("runs", "--json", db=sqlite_db)
    assert [r["version"] for r in json.loads(listed.stdout)] == [__version__, None]
