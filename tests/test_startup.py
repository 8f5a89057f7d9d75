"""Start-up imports only what the command needs (issue 11): `--help` and a SQLite import into
an up-to-date database load neither Alembic, SQLAlchemy nor psycopg. A test of imports, not of
time: each command runs in a child process that reports its sys.modules."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from koito_import import cli, schema
from koito_import.core.dburl import Database
from koito_import.sources import SOURCES

HEAVY = {"alembic", "sqlalchemy", "psycopg", "psycopg_pool"}
SAMPLE = Path(__file__).parent / "fixtures" / "maloja" / "export.json"

# Runs the console script's main() with the given arguments, then writes its exit status and
# the modules it loaded to the file named first.
CHILD = """
import json, sys
report, sys.argv = sys.argv[1], ["koito-import", *sys.argv[2:]]
from koito_import.cli import main
status = 0
try:
    main()
except SystemExit as exc:
    status = exc.code or 0
with open(report, "w") as f:
    json.dump({"status": status, "modules": sorted(sys.modules)}, f)
"""


def loaded_by(tmp_path: Path, *args: str) -> set[str]:
    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(report), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.exists(), done.stderr
    found = json.loads(report.read_text())
    assert found["status"] == 0, done.stderr  # the command did what it was asked
    modules = set(found["modules"])
    return modules | {name.split(".")[0] for name in modules}


def test_help_loads_no_database_library(tmp_path: Path) -> None:
    assert not loaded_by(tmp_path, "--help") & HEAVY
    assert not loaded_by(tmp_path, "maloja", "--help") & HEAVY


def test_sqlite_import_into_an_up_to_date_database_loads_no_migration_library(
    tmp_path: Path,
) -> None:
    db = tmp_path / "koito.db"
    schema.upgrade(Database("sqlite", str(db)))

    for _ in range(2):  # into the ready database, then the same again (nothing to write)
        loaded = loaded_by(tmp_path, "maloja", str(SAMPLE), "--db", str(db), "--quiet")
        # The import did run: it exited 0, opened the SQLite store (loaded only then; the
        # command line itself loads every koito_import package it may need), and the
        # listens are there.
        assert "koito_import.store.sqlite" in loaded
        assert not loaded & HEAVY
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM listens").fetchone() == (9,)
    assert not loaded_by(tmp_path, "db", "status", "--db", str(db)) & HEAVY


def test_a_database_that_needs_its_schema_loads_alembic(tmp_path: Path) -> None:
    """The other side of the above: the check really sees what a run imports."""
    loaded = loaded_by(tmp_path, "maloja", str(SAMPLE), "--db", str(tmp_path / "new.db"))
    assert {"alembic", "sqlalchemy"} <= loaded


def test_revisions_read_without_alembic_are_alembics() -> None:
    script = ScriptDirectory(str(schema.migrations_dir()))
    assert schema.revisions() == tuple(s.revision for s in reversed(list(script.walk_revisions())))
    assert schema.head() == script.get_current_head()


def test_the_command_line_offers_every_source() -> None:
    assert list(cli.SOURCE_HELP) == [*SOURCES, "auto"]


def test_sync_help_loads_no_http_client(tmp_path: Path) -> None:
    """httpx loads only when a sync runs (koito_import.services.http)."""
    assert not loaded_by(tmp_path, "--help") & {"httpx", "httpcore", *HEAVY}
    assert not loaded_by(tmp_path, "sync", "lastfm", "--help") & {"httpx", "httpcore", *HEAVY}
