"""Koito's indexes built after the load on a database an import creates (schema.deferred): the
schema ends exactly as Koito's migrations leave it, a crash at any moment leaves a database
the next run completes, and a database Koito already uses is never loaded that way."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import psycopg

from koito_import import schema
from koito_import.core.dburl import Database
from koito_import.schema.deferred import PENDING_TABLE
from tests.conftest import FIXTURES, DatabaseFactory
from tests.support import CLI, catalog, db_arg, import_files, value
from tests.test_reliability import _listens, _write_export
from tests.test_schema import (
    GOOSE_ROWS,
    OUR_SEQUENCES,
    OURS,
    add_listen,
    execute,
    goose_rows,
    make_koito,
    without,
)
from tests.test_schema import catalog as schema_of

EXPORT = FIXTURES / "maloja" / "export.json"
OURS_ALL = OURS | OUR_SEQUENCES


def _expected_goose(kind: str) -> list[tuple]:
    return [*GOOSE_ROWS[kind], *([(6, True)] if kind == "postgresql" else [])]


def test_a_cold_import_leaves_exactly_koitos_schema(
    fresh_db: DatabaseFactory, backend: str
) -> None:
    imported, koito = fresh_db(backend), fresh_db(backend)
    summary = import_files(imported, "maloja", EXPORT)
    make_koito(koito)

    assert summary.inserted > 0
    assert without(schema_of(imported), OURS_ALL) == without(schema_of(koito), OURS_ALL)
    assert goose_rows(imported) == _expected_goose(backend)
    assert not schema.status(imported).indexes_pending


def test_sigkill_mid_load_then_rerun_gives_the_whole_schema_and_the_same_rows(
    fresh_db: DatabaseFactory, backend: str, tmp_path: Path
) -> None:
    total, batch = 4000, 50
    export = _write_export(tmp_path / "big.json", total)
    expected, crashed, koito = fresh_db(backend), fresh_db(backend), fresh_db(backend)
    import_files(expected, "maloja", export, batch_size=batch)
    make_koito(koito)

    args = [*CLI, "maloja", str(export), "--db", db_arg(crashed), "--batch-size", str(batch)]
    victim = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while victim.poll() is None and _listens(crashed) <= total // 3:
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL, "the import ended before it could be killed"

    # Left pending, and said so; no goose rows, so Koito would refuse to start, not run slow.
    stopped = schema.status(crashed)
    assert stopped.indexes_pending and stopped.state == "ready"
    assert "indexes not built yet" in stopped.describe()
    assert value(crashed, f"SELECT count(*) FROM {PENDING_TABLE}") > 0
    assert _goose_count(crashed) == 0

    rerun = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert catalog(crashed) == catalog(expected)
    assert without(schema_of(crashed), OURS_ALL) == without(schema_of(koito), OURS_ALL)
    assert goose_rows(crashed) == _expected_goose(backend)


def test_db_upgrade_builds_what_a_stopped_import_left(
    fresh_db: DatabaseFactory, backend: str
) -> None:
    db, koito = fresh_db(backend), fresh_db(backend)
    schema.upgrade(db, defer_indexes=True)  # as an import leaves it when killed after this
    make_koito(koito)
    assert schema.status(db).indexes_pending

    actions = schema.upgrade(db)

    assert actions == ["built Koito's indexes a stopped import had left to build"]
    assert without(schema_of(db), OURS_ALL) == without(schema_of(koito), OURS_ALL)
    assert goose_rows(db) == _expected_goose(backend)
    assert schema.upgrade(db) == ["nothing to do"]


def test_a_failed_start_of_koito_on_a_pending_database_is_no_obstacle(
    fresh_db: DatabaseFactory, backend: str
) -> None:
    """goose creates its table and row 0 before Koito's first migration fails."""
    db, koito = fresh_db(backend), fresh_db(backend)
    schema.upgrade(db, defer_indexes=True)
    make_koito(koito)
    _create_goose_table_as_goose_does(db)

    assert schema.finish_indexes(db)
    assert goose_rows(db) == _expected_goose(backend)
    assert without(schema_of(db), OURS_ALL) == without(schema_of(koito), OURS_ALL)


def test_koitos_own_database_is_never_loaded_without_its_indexes(
    fresh_db: DatabaseFactory, backend: str
) -> None:
    db = fresh_db(backend)
    make_koito(db)
    add_listen(db)
    before = schema_of(db)

    schema.upgrade(db, defer_indexes=True)
    import_files(db, "maloja", EXPORT)

    status = schema.status(db)
    assert not status.indexes_pending
    assert without(schema_of(db), OURS_ALL) == without(before, OURS_ALL)


def _goose_count(db: Database) -> int:
    try:
        return value(db, "SELECT count(*) FROM goose_db_version")
    except (psycopg.Error, sqlite3.Error):  # the table itself is pending
        return 0


def _create_goose_table_as_goose_does(db: Database) -> None:
    ddl = {
        "postgresql": "CREATE TABLE goose_db_version (id integer PRIMARY KEY GENERATED BY"
        " DEFAULT AS IDENTITY, version_id bigint NOT NULL, is_applied boolean NOT NULL,"
        " tstamp timestamp NOT NULL DEFAULT now());"
        " INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true)",
        "sqlite": "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL,"
        " tstamp TIMESTAMP DEFAULT (datetime('now')));"
        " INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1)",
    }[db.kind]
    execute(db, ddl)
