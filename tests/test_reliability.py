"""Cron-grade behaviour: dry runs, the import lock, and crashes at any moment."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from koito_import import schema
from koito_import.core.dburl import Database
from koito_import.sources.base import InputError
from koito_import.store import open_store
from tests.conftest import FIXTURES, DatabaseFactory
from tests.support import CLI, catalog, cli, db_arg, import_files, value

EXPORT = FIXTURES / "maloja" / "export.json"


def test_dry_run_reports_what_an_import_would_do_and_writes_nothing(any_db: Database) -> None:
    schema.upgrade(any_db)
    empty = catalog(any_db)

    dry = import_files(any_db, "maloja", EXPORT, dry_run=True)
    assert catalog(any_db) == empty
    assert value(any_db, "SELECT count(*) FROM users") == 0

    real = import_files(any_db, "maloja", EXPORT)
    counts = ("inserted", "duplicates", "artists_created", "releases_created", "tracks_created")
    assert [getattr(dry, c) for c in counts] == [getattr(real, c) for c in counts]
    assert (dry.inserted, dry.artists_created) == (9, 8)
    assert dry.dry_run and not real.dry_run


def test_dry_run_on_a_missing_sqlite_file_leaves_no_file(sqlite_db: Database) -> None:
    summary = import_files(sqlite_db, "maloja", EXPORT, dry_run=True)

    assert summary.inserted == 9
    assert not sqlite_db.path.exists()


def test_an_import_waits_for_the_lock_then_gives_up_with_its_own_exit_code(
    any_db: Database,
) -> None:
    schema.upgrade(any_db)
    holder = open_store(any_db, workers=1)
    try:
        with holder.import_lock(1):
            result = cli("maloja", str(EXPORT), "--wait", "0.5", "--quiet", db=any_db)
    finally:
        holder.close()

    assert result.returncode == 5
    assert "another koito-import is writing" in result.stderr
    assert value(any_db, "SELECT count(*) FROM listens") == 0
    assert cli("maloja", str(EXPORT), "--quiet", db=any_db).returncode == 0


def test_two_imports_at_once_give_the_same_database_as_one(
    fresh_db: DatabaseFactory, backend: str, tmp_path: Path
) -> None:
    export = _write_export(tmp_path / "big.json", 3000)
    alone, racing = fresh_db(backend), fresh_db(backend)
    import_files(alone, "maloja", export, batch_size=100)

    runs = [
        subprocess.Popen(
            [
                *CLI,
                "maloja",
                str(export),
                "--db",
                db_arg(racing),
                "--batch-size",
                "100",
                "--wait",
                "60",
                "--json",
                "--quiet",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(120), json.loads(p.stdout.read())) for p in runs]  # type: ignore[union-attr]

    assert [code for code, _ in results] == [0, 0]
    assert sorted(s["inserted"] for _, s in results) == [0, 3000]
    assert catalog(racing) == catalog(alone)


@pytest.mark.parametrize("kill_at", [0.0, 0.35, 0.7], ids=["first batch", "a third", "two thirds"])
def test_sigkill_at_any_moment_then_rerun_gives_the_uninterrupted_database(
    fresh_db: DatabaseFactory, backend: str, tmp_path: Path, kill_at: float
) -> None:
    total, batch = 6000, 50
    export = _write_export(tmp_path / "big.json", total)
    expected, crashed = fresh_db(backend), fresh_db(backend)
    import_files(expected, "maloja", export, batch_size=batch)

    args = [*CLI, "maloja", str(export), "--db", db_arg(crashed), "--batch-size", str(batch)]
    victim = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Killed once the database shows committed batches: mid-import, whatever the machine's speed.
    while victim.poll() is None and _listens(crashed) <= kill_at * total:
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL, "the import ended before it could be killed"
    written = _listens(crashed)
    assert 0 < written < total
    rerun = subprocess.run(args, capture_output=True, text=True, timeout=120)

    assert rerun.returncode == 0, rerun.stderr
    assert catalog(crashed) == catalog(expected)


def _listens(db: Database) -> int:
    """Listens committed so far (none while the schema is still being created)."""
    if db.kind == "sqlite" and not db.path.exists():
        return 0  # connecting would create the file under the import's feet
    try:
        return value(db, "SELECT count(*) FROM listens")
    except (psycopg.Error, sqlite3.Error):
        return 0


def _write_export(path: Path, count: int) -> Path:
    """A Maloja export with many shared and featured artists, for crash and race tests."""
    scrobbles = []
    for i in range(count):
        main, feature = f"Künstler {i % 53}", f"Gast {i % 17}"
        artists = [feature, f"{main} • {feature}"] if i % 4 == 0 else [main]
        album = None if i % 9 == 0 else {"albumtitle": f"Album {i % 41}", "artists": [main]}
        track = {"artists": artists, "title": f"Lied {i % 211}", "album": album, "length": None}
        scrobbles.append(
            {
                "time": 1_600_000_000 + 60 * i,
                "track": track,
                "duration": None,
                "origin": "client:test",
            }
        )
    path.write_text(json.dumps({"maloja": {"export_time": 1}, "scrobbles": scrobbles}))
    return path


def test_an_input_of_more_than_100000_items_is_imported_whole_or_not_at_all(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """Past 100,000 items an input is no longer kept in memory between the check and the
    import: every listen still lands, and a file broken at its very end still writes nothing."""
    total = 100_050

    def export(path: Path, start: int) -> Path:
        scrobbles = [
            {
                "time": start + 60 * i,
                "track": {"artists": [f"A{i % 7}"], "title": f"T{i % 13}", "album": None},
            }
            for i in range(total)
        ]
        path.write_text(json.dumps({"scrobbles": scrobbles}))
        return path

    whole = import_files(sqlite_db, "maloja", export(tmp_path / "big.json", 1_600_000_000))
    assert (whole.read, whole.skipped, whole.inserted) == (total, 0, total)
    assert value(sqlite_db, "SELECT count(*) FROM listens") == total

    later = export(tmp_path / "later.json", 1_700_000_000)
    later.write_text(later.read_text()[:-30])  # cut inside the last item
    with pytest.raises(InputError, match=f"after item #{total - 1}"):
        import_files(sqlite_db, "maloja", later)
    assert value(sqlite_db, "SELECT count(*) FROM listens") == total
