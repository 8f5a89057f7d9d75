"""A database is created only where the user means it (issue 22, item 9): the embedded default,
`db upgrade`, or --create / KOITO_IMPORT_CREATE=1. A mistyped --db is exit 4, one line saying
how to create it, and nothing is created; `runs` and `undo` on a missing file say it does not
exist."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from koito_import import schema
from koito_import.core.dburl import Database
from tests.conftest import FIXTURES
from tests.support import CLI, db_arg, value

EXPORT = FIXTURES / "maloja" / "export.json"


def run(*args: str | Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The command line with no KOITO_* variable but those given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KOITO_")}
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**clean, **env},
    )


def tables(db: Database) -> int:
    if db.kind == "sqlite":
        return value(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'")
    return value(
        db,
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
    )


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def missing_or_empty(any_db: Database) -> str:
    return "does not exist" if any_db.kind == "sqlite" else "is empty"


@pytest.mark.parametrize("dry_run", [(), ("--dry-run",)], ids=["import", "dry run"])
def test_a_database_named_by_mistake_is_not_created(
    any_db: Database, tmp_path: Path, dry_run: tuple[str, ...]
) -> None:
    done = run("maloja", EXPORT, *dry_run, "--quiet", "--db", db_arg(any_db), cwd=tmp_path)

    assert done.returncode == 4, done.stderr
    line = one_line(done.stderr)
    assert missing_or_empty(any_db) in line and "--create" in line, line
    if any_db.kind == "sqlite":
        assert not any_db.path.exists()
        assert not Path(f"{any_db.path}.koito-import.lock").exists()
    else:
        assert tables(any_db) == 0


def test_koito_database_url_naming_a_missing_database_is_not_created(
    any_db: Database, tmp_path: Path
) -> None:
    done = run("maloja", EXPORT, "--quiet", cwd=tmp_path, KOITO_DATABASE_URL=db_arg(any_db))

    assert done.returncode == 4, done.stderr
    assert missing_or_empty(any_db) in one_line(done.stderr)
    assert not (tmp_path / "koito.db").exists()


@pytest.mark.parametrize("how", ["--create", "KOITO_IMPORT_CREATE=1", "db upgrade"])
def test_a_database_asked_for_is_created(any_db: Database, tmp_path: Path, how: str) -> None:
    env, extra = {}, []
    if how == "--create":
        extra = ["--create"]
    elif how == "db upgrade":
        assert run("db", "upgrade", "--db", db_arg(any_db), cwd=tmp_path).returncode == 0
    else:
        env = {"KOITO_IMPORT_CREATE": "1"}
    done = run("maloja", EXPORT, "--json", "--db", db_arg(any_db), *extra, cwd=tmp_path, **env)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["inserted"] == 9


def test_the_embedded_default_is_created_without_asking(tmp_path: Path) -> None:
    """The README's first command: no --db, no KOITO_DATABASE_URL."""
    config = tmp_path / "config"
    config.mkdir()

    assert run("maloja", EXPORT, "--quiet", cwd=tmp_path).returncode == 0
    assert (
        run("maloja", EXPORT, "--quiet", cwd=tmp_path, KOITO_CONFIG_DIR=str(config)).returncode == 0
    )
    assert (tmp_path / "koito.db").exists() and (config / "koito.db").exists()


@pytest.mark.parametrize(
    "command", [("runs",), ("runs", "--json"), ("undo", "1"), ("undo", "1", "--dry-run")]
)
def test_runs_and_undo_on_a_missing_file_say_it_does_not_exist(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    missing = tmp_path / "auot.db"
    done = run(*command, "--db", missing, cwd=tmp_path)

    assert done.returncode == 4, done.stderr
    assert f"SQLite {missing} does not exist" in one_line(done.stderr)
    assert not missing.exists()


def test_db_status_tells_how_to_create(tmp_path: Path) -> None:
    done = run("db", "status", "--db", tmp_path / "new.db", cwd=tmp_path)

    assert "--create" in done.stdout
    assert not (tmp_path / "new.db").exists()


# --- sqlite:///relative (issue 21) --------------------------------------------------------


def test_a_relative_sqlite_url_whose_absolute_reading_exists_gets_a_hint(tmp_path: Path) -> None:
    """`sqlite:///tmp/x/koito.db` is tmp/x/koito.db, relative; four slashes make it absolute."""
    real = tmp_path / "real" / "koito.db"
    real.parent.mkdir()
    schema.upgrade(Database("sqlite", str(real)))
    relative = str(real).lstrip("/")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()

    for command in (("maloja", EXPORT, "--quiet"), ("runs",), ("report",), ("db", "status")):
        done = run(*command, "--db", f"sqlite:///{relative}", cwd=elsewhere)

        assert done.returncode == 4, (command, done.stderr)
        assert f"did you mean sqlite:///{real}?" in one_line(done.stderr), command
    assert not (elsewhere / relative).exists()
    # The hint holds when the relative folder exists too but the file is missing there.
    (elsewhere / relative).parent.mkdir(parents=True)
    done = run("maloja", EXPORT, "--db", f"sqlite:///{relative}", cwd=elsewhere)
    assert done.returncode == 4 and f"did you mean sqlite:///{real}?" in done.stderr
