"""The ledger of runs, `runs`, `undo`, `inbox` and mixed `auto` (SPEC §6), on both back ends."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from koito_import import schema
from koito_import.core.dburl import Database
from koito_import.ledger.sql import Sql
from koito_import.ledger.undo import undo_run
from tests.conftest import FIXTURES, DatabaseFactory
from tests.support import CLI, catalog, cli, db_arg, import_files, rows, value
from tests.test_reliability import _write_export

MALOJA = FIXTURES / "maloja" / "export.json"
SPOTIFY = FIXTURES / "spotify" / "Streaming_History_Audio_2023-2024_0.json"
ENTITY_TABLES = ("artists", "releases", "tracks")


def scrobble(t: int, artists: list[str], title: str, album: str | None) -> dict[str, Any]:
    track = {"artists": artists, "title": title, "album": album and {"albumtitle": album}}
    return {"time": t, "track": track}


def maloja(path: Path, *scrobbles: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"maloja": {"export_time": 1}, "scrobbles": list(scrobbles)}))
    return path


# Run A creates Main, Guest and Solo, "Album 1" (Main and Guest), tracks "Song A", "Song B",
# "Only A". Run B, later, listens to "Song B" again and adds "Song C" to "Album 1": so "Main",
# "Album 1" and "Song B" are A's creations that B uses.
A = [
    scrobble(1_700_000_000, ["Guest", "Main • Guest"], "Song A", "Album 1"),
    scrobble(1_700_000_300, ["Main"], "Song B", "Album 1"),
    scrobble(1_700_000_600, ["Solo"], "Only A", None),
]
B = [
    scrobble(1_700_100_000, ["Main"], "Song B", "Album 1"),
    scrobble(1_700_100_300, ["Main"], "Song C", "Album 1"),
    scrobble(1_700_100_600, ["Other"], "New", "Album 2"),
]


def lookups(db: Database) -> list[tuple[Any, ...]]:
    """track_lookup by content: key -> artist, release and track names."""
    return sorted(
        rows(
            db,
            """SELECT k.lookup_key, a.name, r.title, t.title FROM track_lookup k
            JOIN artists_with_name a ON a.id = k.artist_id
            JOIN releases_with_title r ON r.id = k.album_id
            JOIN tracks_with_title t ON t.id = k.track_id""",
        )
    )


def everything(db: Database) -> dict[str, Any]:
    return {**catalog(db), "lookups": lookups(db)}


def orphans(db: Database) -> dict[str, int]:
    """Rows that point at an entity that is gone, and entities without a primary name."""
    checks = {
        "artist_aliases": "artist_id NOT IN (SELECT id FROM artists)",
        "release_aliases": "release_id NOT IN (SELECT id FROM releases)",
        "track_aliases": "track_id NOT IN (SELECT id FROM tracks)",
        "artist_releases": "artist_id NOT IN (SELECT id FROM artists)"
        " OR release_id NOT IN (SELECT id FROM releases)",
        "artist_tracks": "artist_id NOT IN (SELECT id FROM artists)"
        " OR track_id NOT IN (SELECT id FROM tracks)",
        "track_lookup": "artist_id NOT IN (SELECT id FROM artists)"
        " OR album_id NOT IN (SELECT id FROM releases)"
        " OR track_id NOT IN (SELECT id FROM tracks)",
        "artists": "id NOT IN (SELECT artist_id FROM artist_aliases WHERE is_primary)",
        "releases": "id NOT IN (SELECT release_id FROM release_aliases WHERE is_primary)",
        "tracks": "id NOT IN (SELECT track_id FROM track_aliases WHERE is_primary)",
    }
    found = {t: value(db, f"SELECT count(*) FROM {t} WHERE {w}") for t, w in checks.items()}
    return {t: n for t, n in found.items() if n}


def execute(db: Database, sql: str) -> None:
    if db.kind == "postgresql":
        with psycopg.connect(db.url, autocommit=True) as conn:
            conn.execute(sql)
        return
    with sqlite3.connect(db.path) as conn:
        conn.execute(sql)
    conn.close()


def ledger(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: sorted(rows(db, f"SELECT * FROM {table}")) for table in sorted(schema.LEDGER_TABLES)
    }


def ledger_listens(db: Database, run_id: int) -> list[tuple[Any, ...]]:
    """(track_id, listened_at) of the listens the ledger says run `run_id` inserted."""
    return sorted(rows(db, Sql(db.kind).listens_of(), run_id))


def ledger_entities(db: Database, kind: str, run_id: int | None = None) -> list[tuple[int]]:
    """Ids of the entities of `kind` the ledger says run `run_id` (else any run) created."""
    where, params = (
        ("kind = %s", [kind]) if run_id is None else ("kind = %s AND run_id = %s", [kind, run_id])
    )
    return sorted(rows(db, f"SELECT entity_id FROM ({Sql(db.kind).entities(where)}) e", *params))


def runs(db: Database, *args: str) -> list[dict[str, Any]]:
    done = cli("runs", "--json", *args, db=db)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def undo(db: Database, run_id: int, *args: str) -> dict[str, Any]:
    done = cli("undo", str(run_id), "--json", *args, db=db)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# --- the ledger itself -----------------------------------------------------------------------


def test_each_run_is_recorded_with_its_files_counts_and_new_rows(any_db: Database) -> None:
    first = import_files(any_db, "maloja", MALOJA)
    again = import_files(any_db, "maloja", MALOJA)
    dry = import_files(any_db, "maloja", MALOJA, dry_run=True)

    assert (first.run_id, again.run_id, dry.run_id) == (1, 2, None)  # a dry run is no run
    listed = runs(any_db)
    assert [r["id"] for r in listed] == [2, 1]  # newest first
    assert runs(any_db, "--limit", "1") == listed[:1]
    one = listed[1]
    assert one["source"] == "maloja" and one["user"] == "admin" and one["status"] == "completed"
    assert one["files"] == [
        {
            "path": str(MALOJA.resolve()),
            "size": MALOJA.stat().st_size,
            "sha256": hashlib.sha256(MALOJA.read_bytes()).hexdigest(),
        }
    ]
    counts = ("read", "skipped", "inserted", "duplicates")
    created = ("artists_created", "releases_created", "tracks_created")
    assert [one[c] for c in counts + created] == [12, 3, 9, 0, 8, 6, 7]
    assert [listed[0][c] for c in counts + created] == [12, 3, 0, 9, 0, 0, 0]
    assert one["started_at"] <= one["finished_at"]
    # Exactly the run's own rows: every listen and entity is run 1's, run 2 added none.
    assert ledger_listens(any_db, 1) == sorted(
        rows(any_db, "SELECT track_id, listened_at FROM listens")
    )
    assert len(ledger_listens(any_db, 1)) == 9 and ledger_listens(any_db, 2) == []
    for table, kind in zip(ENTITY_TABLES, ("artist", "release", "track"), strict=True):
        assert sorted(rows(any_db, f"SELECT id FROM {table}")) == ledger_entities(any_db, kind, 1)
        assert ledger_entities(any_db, kind, 2) == []


def test_the_ledger_after_a_kill_agrees_with_the_listens_and_the_run_can_be_undone(
    fresh_db: DatabaseFactory, backend: str, tmp_path: Path
) -> None:
    export = _write_export(tmp_path / "big.json", 6000)
    crashed, expected = fresh_db(backend), fresh_db(backend)
    schema.upgrade(crashed)
    args = [*CLI, "maloja", str(export), "--db", db_arg(crashed), "--batch-size", "50", "-q"]
    victim = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while value(crashed, "SELECT count(*) FROM listens") < 500 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(victim.pid, signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL

    landed = value(crashed, "SELECT count(*) FROM listens")
    assert 0 < landed < 6000, "the kill must land mid-import"
    [run] = runs(crashed)
    assert (run["status"], run["inserted"]) == ("interrupted", landed)
    listens = sorted(rows(crashed, "SELECT track_id, listened_at FROM listens"))
    assert ledger_listens(crashed, 1) == listens
    for table, kind in zip(ENTITY_TABLES, ("artist", "release", "track"), strict=True):
        ids = sorted(rows(crashed, f"SELECT id FROM {table}"))
        assert ids == ledger_entities(crashed, kind)
        assert len(ids) == run[f"{kind}s_created"]

    # The interrupted run is undone whole: nothing of it is left.
    result = undo(crashed, 1)
    assert result["listens_removed"] == landed
    assert result["artists_kept"] == result["releases_kept"] == result["tracks_kept"] == 0
    for table in (*ENTITY_TABLES, "listens", "track_lookup", "artist_aliases", "artist_tracks"):
        assert value(crashed, f"SELECT count(*) FROM {table}") == 0, table
    assert runs(crashed)[0]["status"] == "undone"

    # Importing the file again, after the undo, imports it again, as into an untouched database.
    import_files(expected, "maloja", export, batch_size=50)
    assert import_files(crashed, "maloja", export, batch_size=50).inserted == 6000
    assert catalog(crashed) == catalog(expected)


# --- undo ------------------------------------------------------------------------------------


def test_undo_keeps_what_a_later_run_uses_and_leaves_no_trace_of_the_rest(
    fresh_db: DatabaseFactory, backend: str, tmp_path: Path
) -> None:
    a, b = maloja(tmp_path / "a.json", *A), maloja(tmp_path / "b.json", *B)
    db, only_b = fresh_db(backend), fresh_db(backend)
    import_files(only_b, "maloja", b)
    assert import_files(db, "maloja", a).run_id == 1
    assert import_files(db, "maloja", b).run_id == 2
    both = everything(db)

    result = undo(db, 1)

    assert {k: v for k, v in result.items() if k.endswith(("_removed", "_kept"))} == {
        "listens_removed": 3,
        "tracks_removed": 2,  # Song A, Only A
        "releases_removed": 1,  # Only A
        "artists_removed": 2,  # Guest, Solo
        "tracks_kept": 1,  # Song B: run B listened to it
        "releases_kept": 1,  # Album 1: Song B and Song C are on it
        "artists_kept": 1,  # Main
    }
    assert everything(db) == everything(only_b)  # as if run A had never been
    assert orphans(db) == {}
    assert runs(db)[1]["status"] == "undone"
    assert ledger_listens(db, 1) == []

    # Undoing twice says so, and changes nothing.
    again = cli("undo", "1", db=db)
    assert again.returncode == 0 and "undone already" in again.stdout
    assert everything(db) == everything(only_b)
    missing = cli("undo", "99", db=db)
    assert missing.returncode == 2 and "there is no run 99" in missing.stderr
    assert "Traceback" not in missing.stderr + again.stderr

    # Importing A again after its undo imports it again.
    again_a = import_files(db, "maloja", a)
    assert (again_a.run_id, again_a.inserted, again_a.duplicates) == (3, 3, 0)
    assert everything(db) == both

    # Undoing B, then A's re-import, also removes what the first undo had to keep for B.
    undo(db, 2)
    undo(db, 3)
    for table in (*ENTITY_TABLES, "listens", "track_lookup", "artist_aliases", "release_aliases"):
        assert value(db, f"SELECT count(*) FROM {table}") == 0, table
    assert value(db, "SELECT count(*) FROM koito_import_run_entities") == 0


def test_undo_dry_run_reports_the_same_counts_and_changes_nothing(
    any_db: Database, tmp_path: Path
) -> None:
    import_files(any_db, "maloja", maloja(tmp_path / "a.json", *A))
    import_files(any_db, "maloja", maloja(tmp_path / "b.json", *B))
    before, ledger_before = everything(any_db), ledger(any_db)

    dry = undo(any_db, 1, "--dry-run")
    table = cli("undo", "1", "--dry-run", db=any_db)

    assert everything(any_db) == before
    assert ledger(any_db) == ledger_before
    assert table.returncode == 0 and "would remove" in table.stdout
    real = undo(any_db, 1)
    assert dry.pop("dry_run") and not real.pop("dry_run")
    dry.pop("undone_at")
    real.pop("undone_at")
    assert dry == real


def test_undo_spares_an_artist_whose_release_would_be_left_without_artists(
    any_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Koito's trigger deletes a release when its last artist link goes, and with it every
    track and listen on it: an undo must never cause that. (Here also as a large undo, which
    on PostgreSQL makes its look-up indexes for the time of its transaction.)"""
    monkeypatch.setattr("koito_import.ledger.undo_steps.LARGE_UNDO", 0)
    import_files(any_db, "maloja", maloja(tmp_path / "a.json", A[1]))  # Main, Album 1, Song B
    [(album,)] = rows(any_db, "SELECT id FROM releases_with_title WHERE title = 'Album 1'")
    [(song,)] = rows(any_db, "SELECT id FROM tracks_with_title WHERE title = 'Song B'")
    [(main,)] = rows(any_db, "SELECT id FROM artists_with_name WHERE name = 'Main'")
    [(user,)] = rows(any_db, "SELECT id FROM users")
    # Koito itself (not a run) moves the track to another artist and scrobbles it.
    other = "INSERT INTO artists DEFAULT VALUES RETURNING id"
    [(koito_artist,)] = rows(any_db, other)
    ts = "to_timestamp(1800000000)" if any_db.kind == "postgresql" else "1800000000"
    true = "true" if any_db.kind == "postgresql" else "1"
    for sql in (
        f"INSERT INTO artist_aliases VALUES ({koito_artist}, 'Koito Artist', 'User', {true})",
        f"UPDATE artist_tracks SET artist_id = {koito_artist} WHERE track_id = {song}",
        f"INSERT INTO listens (track_id, listened_at, user_id, client) "
        f"VALUES ({song}, {ts}, {user}, 'koito')",
    ):
        execute(any_db, sql)

    result = undo_run(any_db, 1)

    assert (result.listens_removed, result.artists_removed, result.artists_kept) == (1, 0, 1)
    assert rows(any_db, "SELECT artist_id FROM artist_releases") == [(main,)]
    assert rows(any_db, "SELECT id FROM releases") == [(album,)]
    assert value(any_db, "SELECT count(*) FROM listens") == 1  # Koito's own stays
    assert orphans(any_db) == {}
    if any_db.kind == "postgresql":  # the undo's own indexes went with its transaction
        assert (
            rows(
                any_db,
                "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'koito_import_undo%%'",
            )
            == []
        )


# --- inbox and auto -------------------------------------------------------------------------


def test_inbox_imports_each_file_moves_it_and_leaves_the_broken_one(
    any_db: Database, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    folder = config / "import"
    folder.mkdir(parents=True)
    shutil.copy(MALOJA, folder / "maloja_export.json")
    shutil.copy(SPOTIFY, folder / SPOTIFY.name)
    broken = folder / "maloja_broken.json"
    broken.write_text('{"maloja": {"export_time": 1}, "scrobbles": [{"time": 1, "track": ')
    env = {**os.environ, "KOITO_CONFIG_DIR": str(config)}
    command = [*CLI, "inbox", "--db", db_arg(any_db), "--settle", "0"]

    done = subprocess.run([*command, "--quiet"], capture_output=True, text=True, env=env)

    assert done.returncode == 3, done.stderr
    # One line naming the file that failed, and (even --quiet) the note that the default
    # user was created, on stderr.
    lines = done.stderr.strip().splitlines()
    [line] = [line for line in lines if "maloja_broken.json" in line]
    assert "stays" in line
    assert sum("created Koito's default user 'admin'" in line for line in lines) == 1
    assert "Import summary" in done.stdout  # --quiet hides the progress, not the summary
    assert sorted(p.name for p in folder.iterdir()) == ["maloja_broken.json"]
    assert sorted(p.name for p in (config / "import_complete").iterdir()) == sorted(
        ["maloja_export.json", SPOTIFY.name]
    )
    listed = runs(any_db)
    assert [(r["source"], r["inserted"], r["status"]) for r in listed] == [
        ("maloja", 9, "completed"),
        ("spotify", 3, "completed"),  # files go by name: "S" sorts before "m"
    ]
    assert value(any_db, "SELECT count(*) FROM listens") == 12

    # Again, for cron with --json: only the broken file is left, and it fails again.
    (folder / "maloja_fixed.json").write_text(MALOJA.read_text())  # already imported
    again = subprocess.run([*command, "--json"], capture_output=True, text=True, env=env)
    assert again.returncode == 3
    reports = [json.loads(line) for line in again.stdout.splitlines()]
    assert [(r["path"], r["status"], r["exit_code"]) for r in reports] == [
        (str(broken), "failed", 3),
        (str(folder / "maloja_fixed.json"), "imported", 0),
    ]
    assert reports[1]["run_id"] == 3 and reports[1]["inserted"] == 0
    assert (config / "import_complete" / "maloja_fixed.json").exists()
    assert value(any_db, "SELECT count(*) FROM listens") == 12


def test_inbox_without_a_folder_or_config_dir_is_a_usage_error(any_db: Database) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KOITO_CONFIG_DIR"}
    done = subprocess.run(
        [*CLI, "inbox", "--db", db_arg(any_db)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 2 and "KOITO_CONFIG_DIR" in done.stderr


def test_auto_imports_mixed_exports_each_as_its_own_run(any_db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(MALOJA, folder / "maloja_export.json")
    shutil.copy(SPOTIFY, folder / SPOTIFY.name)

    done = cli("auto", folder, "--json", "--quiet", db=any_db)

    assert done.returncode == 0, done.stderr
    assert "detected a maloja export" in done.stderr
    assert "detected a spotify export" in done.stderr
    summaries = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(s["run_id"], s["inserted"]) for s in summaries] == [(1, 3), (2, 9)]
    assert [r["source"] for r in runs(any_db)] == ["maloja", "spotify"]


def test_a_dropped_ledger_table_is_made_again_without_goose_rows(any_db: Database) -> None:
    schema.upgrade(any_db)
    goose = rows(any_db, "SELECT version_id FROM goose_db_version ORDER BY id")
    execute(any_db, "DROP TABLE koito_import_run_listens")

    assert not schema.status(any_db).current
    assert "created the ledger of runs" in " ".join(schema.ensure_ready(any_db))
    assert schema.status(any_db).current
    assert rows(any_db, "SELECT version_id FROM goose_db_version ORDER BY id") == goose
    assert import_files(any_db, "maloja", MALOJA).inserted == 9


@pytest.mark.parametrize("command", ["runs", "undo"])
def test_ledger_commands_on_a_database_without_a_ledger(command: str, tmp_path: Path) -> None:
    db = Database("sqlite", str(tmp_path / "koito.db"))
    args = ["runs"] if command == "runs" else ["undo", "1"]
    missing = cli(*args, db=db)
    assert missing.returncode == 4 and f"{db.display()} does not exist" in missing.stderr
    assert not db.path.exists()  # looking creates nothing
    db.path.touch()  # an empty database: no ledger yet
    done = cli(*args, db=db)
    if command == "runs":
        assert done.returncode == 0 and "No runs recorded" in done.stdout
    else:
        assert done.returncode == 2 and "there is no run 1" in done.stderr
    assert db.path.stat().st_size == 0  # looking writes nothing
