"""SqliteStore against real koito.db files (SPEC §2, §3, §5; issue 3)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest

from koito_import.core.dburl import Database
from koito_import.schema import upgrade
from koito_import.store.base import (
    BatchWrite,
    Listen,
    LockHeld,
    LookupRow,
    NewArtist,
    NewRelease,
    NewTrack,
    StoreError,
)
from koito_import.store.sqlite import SqliteStore
from tests.support import MBID_A, MBID_B, MBID_R, MBID_T, canonical, catalogue_batch

REPO = Path(__file__).resolve().parent.parent


def _create_schema(db: Database) -> None:
    """Koito's SQLite schema plus track_lookup, as `koito-import db upgrade` makes it."""
    upgrade(db)


@pytest.fixture
def store(sqlite_db: Database) -> Iterator[SqliteStore]:
    _create_schema(sqlite_db)
    s = SqliteStore(sqlite_db)
    try:
        yield s
    finally:
        s.close()


def _q(db: Database, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db.path) as conn:
        rows = conn.execute(sql, args).fetchall()
    conn.close()
    return rows


def _user(store: SqliteStore) -> int:
    return store.user(None, "admin", "changeme").id


def _assert_sound(db: Database) -> None:
    with sqlite3.connect(db.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_write_lands_koito_rows(store: SqliteStore, sqlite_db: Database) -> None:
    user_id = _user(store)
    assert store.write(catalogue_batch(user_id)).inserted == 2

    artists = _q(sqlite_db, "SELECT id, name, musicbrainz_id FROM artists_with_name ORDER BY id")
    assert [(n, m) for _, n, m in artists] == [("Daft Punk", MBID_A), ("Pharrell Williams", None)]
    daft, pharrell = (a[0] for a in artists)
    assert _q(
        sqlite_db, "SELECT alias, source, is_primary FROM artist_aliases WHERE artist_id = ?", daft
    ) == [("Daft Punk", "Canonical", 1), ("ダフト・パンク", "Canonical", 0)]

    [(release, various, image, source)] = _q(
        sqlite_db,
        "SELECT id, various_artists, image, image_source FROM releases_with_title "
        "WHERE title = 'Random Access Memories'",
    )
    assert (various, image, source) == (
        1,
        "55555555-5555-5555-5555-555555555555",
        "https://img.example/ram.jpg",
    )
    [(track, track_release, duration)] = _q(
        sqlite_db,
        "SELECT id, release_id, duration FROM tracks_with_title WHERE title = 'Get Lucky'",
    )
    assert (track_release, duration) == (release, 369)
    assert sorted(_q(sqlite_db, "SELECT * FROM artist_releases")) == [
        (daft, release, 1),
        (pharrell, release, 0),
    ]
    assert sorted(_q(sqlite_db, "SELECT * FROM artist_tracks")) == [
        (daft, track, 1),
        (pharrell, track, 0),
    ]
    assert _q(
        sqlite_db,
        "SELECT track_id, listened_at, typeof(listened_at), user_id, client FROM listens "
        "ORDER BY listened_at",
    ) == [
        (track, 1_700_000_000, "integer", user_id, ""),
        (track, 1_700_000_400, "integer", user_id, "maloja"),
    ]
    assert _q(sqlite_db, "SELECT artist_id, album_id, track_id FROM track_lookup") == [
        (daft, release, track)
    ]
    assert store.lookup(["daft punk\x1fget lucky\x1frandom access memories", "nope"]) == {
        "daft punk\x1fget lucky\x1frandom access memories": track
    }
    _assert_sound(sqlite_db)

    # The same listens again (now against the existing ids) change nothing.
    again = BatchWrite(
        user_id=user_id,
        listens=[Listen(track, 1_700_000_000, "other"), Listen(track, 1_700_000_400, None)],
        lookups=[
            LookupRow("daft punk\x1fget lucky\x1frandom access memories", daft, release, track)
        ],
    )
    assert store.write(again).inserted == 0
    assert _q(sqlite_db, "SELECT count(*) FROM listens") == [(2,)]
    assert _q(sqlite_db, "SELECT count(*) FROM track_lookup") == [(1,)]
    _assert_sound(sqlite_db)


def test_inserted_counts_listens_not_what_triggers_write(
    store: SqliteStore, sqlite_db: Database
) -> None:
    """A trigger on listens (a fork's, or a user's) writes rows of its own: not listens."""
    with sqlite3.connect(sqlite_db.path) as conn:
        conn.executescript(
            """
            CREATE TABLE listen_log (track_id INTEGER, at INTEGER);
            CREATE TRIGGER log_listens AFTER INSERT ON listens
            BEGIN INSERT INTO listen_log VALUES (new.track_id, new.listened_at); END;
            """
        )
    conn.close()
    assert store.write(catalogue_batch(_user(store))).inserted == 2
    assert _q(sqlite_db, "SELECT count(*) FROM listen_log") == [(2,)]


def test_fetch_artists_by_alias_and_mbid(store: SqliteStore) -> None:
    store.write(catalogue_batch(_user(store)))
    [daft] = store.fetch_artists(["ダフト・パンク"], [])  # any alias, not only the primary
    assert daft.aliases == ["Daft Punk", "ダフト・パンク"] and daft.mbid == MBID_A
    assert store.fetch_artists(["daft punk", "DAFT PUNK"], []) == []  # case-sensitive
    [by_mbid] = store.fetch_artists([], [MBID_A, MBID_B])
    assert by_mbid.id == daft.id
    both = store.fetch_artists(["Pharrell Williams", "Daft Punk"], [MBID_A])
    assert sorted(a.aliases[0] for a in both) == ["Daft Punk", "Pharrell Williams"]
    assert store.fetch_artists([], []) == []


def test_fetch_releases_and_tracks(store: SqliteStore) -> None:
    store.write(catalogue_batch(_user(store)))
    daft, pharrell = (a.id for a in store.fetch_artists(["Daft Punk", "Pharrell Williams"], []))
    other = store.write(BatchWrite(user_id=1, artists=[NewArtist(canonical("Other"))]))
    assert other.inserted == 0
    [other_id] = [a.id for a in store.fetch_artists(["Other"], [])]

    [release] = store.fetch_releases([("Random Access Memories", pharrell)], [])
    assert release.title == "Random Access Memories"
    assert release.artist_ids == {daft, pharrell} and release.mbid is None
    assert store.fetch_releases([("Random Access Memories", other_id)], []) == []
    assert store.fetch_releases([("random access memories", daft)], []) == []

    [track] = store.fetch_tracks([("Get Lucky", release.id)], [])
    assert (track.title, track.release_id, track.duration) == ("Get Lucky", release.id, 369)
    assert track.artist_ids == {daft, pharrell}
    assert store.fetch_tracks([("Get Lucky", release.id + 1)], []) == []
    assert store.fetch_tracks([("GET LUCKY", release.id)], []) == []

    # MBIDs find them regardless of titles.
    store.write(
        BatchWrite(
            user_id=1, release_mbids=[(release.id, MBID_R)], track_mbids=[(track.id, MBID_T)]
        )
    )
    assert [r.id for r in store.fetch_releases([], [MBID_R])] == [release.id]
    assert [t.id for t in store.fetch_tracks([("nothing", 1)], [MBID_T])] == [track.id]


def test_fetch_handles_more_names_than_sqlite_variables(store: SqliteStore) -> None:
    user_id = _user(store)
    n = 41_000
    names = [f"Artist {i}" for i in range(n)]
    batch = BatchWrite(
        user_id=user_id,
        artists=[NewArtist(canonical(name)) for name in names],
        releases=[NewRelease(canonical(f"Album {i}")) for i in range(n)],
        tracks=[NewTrack(canonical(f"Song {i}"), release=-(i + 1)) for i in range(n)],
        artist_releases=[(-(i + 1), -(i + 1), True) for i in range(n)],
        listens=[Listen(-(i + 1), 1_600_000_000 + i, None) for i in range(n)],
        lookups=[LookupRow(f"k{i}", -(i + 1), -(i + 1), -(i + 1)) for i in range(n)],
    )
    assert store.write(batch).inserted == n
    artists = store.fetch_artists([*names, "Missing"], [])
    assert len(artists) == n
    by_name = {a.aliases[0]: a.id for a in artists}
    releases = store.fetch_releases([(f"Album {i}", by_name[f"Artist {i}"]) for i in range(n)], [])
    assert len(releases) == n
    tracks = store.fetch_tracks([(f"Song {i}", r.id) for i, r in enumerate(releases)], [])
    assert len(tracks) == n
    assert len(store.lookup([f"k{i}" for i in range(n)])) == n


def test_mbid_and_duration_filled_only_where_empty(store: SqliteStore, sqlite_db: Database) -> None:
    store.write(catalogue_batch(_user(store)))
    daft, pharrell = (a.id for a in store.fetch_artists(["Daft Punk", "Pharrell Williams"], []))
    [track] = store.fetch_tracks([("Get Lucky", 1)], [])
    store.write(
        BatchWrite(
            user_id=1,
            artists=[NewArtist(canonical("Nile Rodgers"))],
            tracks=[NewTrack(canonical("Lose Yourself to Dance"), release=track.release_id)],
            # Daft Punk keeps its MBID; MBID_A cannot move to anyone else; Nile gets MBID_B.
            artist_mbids=[(daft, MBID_B), (pharrell, MBID_A), (-1, MBID_B)],
            # Get Lucky keeps 369; the new track's 0 becomes 353.
            track_durations=[(track.id, 1), (-1, 353)],
        )
    )
    assert _q(sqlite_db, "SELECT name, musicbrainz_id FROM artists_with_name ORDER BY id") == [
        ("Daft Punk", MBID_A),
        ("Pharrell Williams", None),
        ("Nile Rodgers", MBID_B),
    ]
    assert _q(sqlite_db, "SELECT title, duration FROM tracks_with_title ORDER BY id") == [
        ("Get Lucky", 369),
        ("Lose Yourself to Dance", 353),
    ]
    _assert_sound(sqlite_db)


def test_failed_batch_leaves_nothing(store: SqliteStore, sqlite_db: Database) -> None:
    user_id = _user(store)
    bad = BatchWrite(
        user_id=user_id,
        artists=[NewArtist(canonical("Half Written"))],
        listens=[Listen(track=999, listened_at=1, client=None)],  # no such track
    )
    with pytest.raises(StoreError, match="FOREIGN KEY"):
        store.write(bad)
    assert _q(sqlite_db, "SELECT count(*) FROM artists") == [(0,)]
    assert store.write(catalogue_batch(user_id)).inserted == 2  # the connection is still usable


def test_default_user_created_once(store: SqliteStore, sqlite_db: Database) -> None:
    first = store.user(None, "Admin", "changeme")
    assert first.created and first.username == "admin"
    [(role, password)] = _q(sqlite_db, "SELECT role, password FROM users")
    assert role == "admin" and isinstance(password, bytes)
    assert bcrypt.checkpw(b"changeme", password)
    again = store.user(None, "admin", "changeme")
    assert (again.id, again.created) == (first.id, False)
    assert store.user("ADMIN", "x", "y").id == first.id  # Koito stores names lower-case
    with pytest.raises(StoreError, match="no user 'bob'"):
        store.user("bob", "admin", "changeme")
    assert _q(sqlite_db, "SELECT count(*) FROM users") == [(1,)]


def test_lowest_admin_is_the_default_user(store: SqliteStore, sqlite_db: Database) -> None:
    with sqlite3.connect(sqlite_db.path) as conn:
        conn.executemany(
            "INSERT INTO users (id, username, role, password) VALUES (?, ?, ?, x'00')",
            [(3, "carol", "admin"), (2, "bob", "admin"), (1, "alice", "user")],
        )
    conn.close()
    user = store.user(None, "admin", "changeme")
    assert (user.id, user.username, user.created) == (2, "bob", False)


_OTHER_IMPORT = """
import sys
from koito_import.core.dburl import Database
from koito_import.store.base import LockHeld
from koito_import.store.sqlite import SqliteStore
store = SqliteStore(Database("sqlite", sys.argv[1]))
try:
    with store.import_lock(0.2):
        print("acquired")
except LockHeld as exc:
    print("held:", exc)
"""


def _other_import(db: Database) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_OTHER_IMPORT), str(db.path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()


def test_import_lock_excludes_another_process(store: SqliteStore, sqlite_db: Database) -> None:
    with store.import_lock(0):
        out = _other_import(sqlite_db)
        assert out.startswith("held: another koito-import is writing to")
        assert "--wait SECONDS" in out and ".koito-import.lock" in out
        # The lock is koito-import's own: Koito's readers and writers are not blocked.
        assert store.write(catalogue_batch(_user(store))).inserted == 2
    assert _other_import(sqlite_db) == "acquired"


def test_import_lock_released_on_error(store: SqliteStore) -> None:
    with pytest.raises(RuntimeError), store.import_lock(0):
        raise RuntimeError("boom")
    with store.import_lock(0):  # same process, new descriptor: would fail if still held
        pass


def test_import_lock_waits_for_the_other_run(store: SqliteStore, sqlite_db: Database) -> None:
    other = SqliteStore(sqlite_db)  # flock excludes a second descriptor even in one process
    try:
        with store.import_lock(0):
            start = time.monotonic()
            with pytest.raises(LockHeld), other.import_lock(0.3):
                pass
            assert time.monotonic() - start >= 0.3  # it waited as long as it was told
        # The first run finishes while the second is still waiting: the second goes ahead.
        holder = contextlib.ExitStack()
        holder.enter_context(store.import_lock(0))
        threading.Timer(0.2, holder.close).start()
        start = time.monotonic()
        with other.import_lock(5):
            assert time.monotonic() - start > 0.1  # it waited for the first run to finish
    finally:
        other.close()


def _open_files() -> set[str]:
    names = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the descriptor listdir itself used is gone
            names.add(os.readlink(f"/proc/self/fd/{fd}"))
    return names


def test_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    bogus = tmp_path / "koito.db"
    bogus.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StoreError, match="not a database") as error:
        SqliteStore(Database("sqlite", str(bogus)))
    # The failed store's connection is closed at once, not when the error is forgotten.
    assert str(bogus) not in _open_files()
    del error


def test_locked_database_is_a_quick_store_error(sqlite_db: Database) -> None:
    _create_schema(sqlite_db)
    store = SqliteStore(sqlite_db, busy_timeout_s=0.2)
    user_id = _user(store)
    koito = sqlite3.connect(sqlite_db.path, isolation_level=None)
    koito.execute("BEGIN IMMEDIATE")  # e.g. Koito in the middle of a long write
    try:
        with pytest.raises(StoreError, match=r"koito\.db stayed locked .* 0\.2s"):
            store.write(catalogue_batch(user_id))
        # Reads still work beside a writer (WAL).
        assert store.fetch_artists(["Daft Punk"], []) == []
    finally:
        koito.execute("ROLLBACK")
        koito.close()
    assert store.write(catalogue_batch(user_id)).inserted == 2
    store.close()
    _assert_sound(sqlite_db)
