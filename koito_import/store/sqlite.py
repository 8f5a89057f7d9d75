"""The SQLite back end (Koito v0.2+, `koito.db` in WAL mode), on the standard library driver.

Koito keeps serving from the same file while an import runs, so every write is one short
`BEGIN IMMEDIATE ... COMMIT` per batch, with a busy timeout rather than a hang. Look-ups load
their keys into small temp tables and join, so a batch costs a handful of queries however many
names it holds (and never hits SQLite's bound-variable limit).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import bcrypt

from koito_import.dburl import Database
from koito_import.model import Alias
from koito_import.store.base import (
    ArtistRow,
    BatchWrite,
    LockHeld,
    MbidCoverage,
    ReleaseRow,
    StoreError,
    TrackRow,
    User,
)

# Temp tables live in the connection's private temp database: filling them takes no lock on
# koito.db, so look-ups never get in Koito's way.
_TEMP_TABLES = """
CREATE TEMP TABLE IF NOT EXISTS q_keys (v TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS q_mbids (v TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS q_pairs (title TEXT, ref INTEGER, PRIMARY KEY (title, ref));
"""

# CROSS JOIN pins the (small) temp table as the outer loop, so each key is one index probe.
_MBID_COVERAGE = """
SELECT t.id, t.musicbrainz_id, r.musicbrainz_id, group_concat(a.musicbrainz_id, ','),
       sum(a.id IS NOT NULL AND a.musicbrainz_id IS NULL)
FROM tracks t JOIN releases r ON r.id = t.release_id
LEFT JOIN artist_tracks at ON at.track_id = t.id
LEFT JOIN artists a ON a.id = at.artist_id
WHERE t.id IN (SELECT CAST(v AS INTEGER) FROM temp.q_keys)
GROUP BY t.id
"""

_ARTIST_IDS = """
SELECT aa.artist_id FROM temp.q_keys q CROSS JOIN artist_aliases aa ON aa.alias = q.v
UNION
SELECT a.id FROM temp.q_mbids q CROSS JOIN artists a ON a.musicbrainz_id = q.v
"""
_RELEASE_IDS = """
SELECT ra.release_id FROM temp.q_pairs q
CROSS JOIN release_aliases ra ON ra.alias = q.title AND ra.is_primary = 1
CROSS JOIN artist_releases ar ON ar.artist_id = q.ref AND ar.release_id = ra.release_id
UNION
SELECT r.id FROM temp.q_mbids q CROSS JOIN releases r ON r.musicbrainz_id = q.v
"""
_TRACK_IDS = """
SELECT t.id FROM temp.q_pairs q
CROSS JOIN tracks t ON t.release_id = q.ref
CROSS JOIN track_aliases ta ON ta.track_id = t.id AND ta.alias = q.title AND ta.is_primary = 1
UNION
SELECT t.id FROM temp.q_mbids q CROSS JOIN tracks t ON t.musicbrainz_id = q.v
"""


class SqliteStore:
    """Koito's SQLite database, through one connection (serialized across threads)."""

    def __init__(self, db: Database, busy_timeout_s: float = 5.0) -> None:
        self.description = db.display()
        self._path = str(db.path)
        self._busy_timeout_s = busy_timeout_s
        self._mutex = threading.RLock()  # resolver threads may share this store
        with self._errors():
            # isolation_level=None: the driver never opens transactions behind our back.
            self._conn = sqlite3.connect(
                self._path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")  # Koito's mode; a no-op when set
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA synchronous = NORMAL")  # durable enough under WAL
            self._conn.executescript(_TEMP_TABLES)

    def close(self) -> None:
        with self._mutex:
            self._conn.close()

    # -- errors and transactions ----------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn driver errors into one-line StoreErrors naming the file."""
        try:
            yield
        except (sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # our bugs: keep the traceback
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreError(
                    f"{self._path} stayed locked by another writer for more than "
                    f"{self._busy_timeout_s:g}s; try again later"
                ) from exc
            raise StoreError(f"{self.description}: {exc}") from exc
        except sqlite3.IntegrityError as exc:
            raise StoreError(
                f"{self.description}: {exc} (a row was written meanwhile by someone else?); "
                "run the import again"
            ) from exc
        except sqlite3.DatabaseError as exc:  # "file is not a database" and the like
            raise StoreError(f"{self.description}: {exc}") from exc

    @contextmanager
    def _transaction(self, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """One transaction, rolled back on any error. IMMEDIATE takes the write lock up front,
        so a busy database waits on the busy timeout here instead of failing mid-batch."""
        with self._mutex, self._errors():
            self._conn.execute(f"BEGIN {mode}")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:  # SQLite may have rolled back already
                    self._conn.execute("ROLLBACK")
                raise

    def _load(self, table: str, rows: Iterable[Any]) -> None:
        """Replace a temp table's contents (inside a transaction)."""
        self._conn.execute(f"DELETE FROM temp.{table}")
        if table == "q_pairs":
            self._conn.executemany("INSERT OR IGNORE INTO temp.q_pairs VALUES (?, ?)", rows)
        else:
            self._conn.executemany(
                f"INSERT OR IGNORE INTO temp.{table} VALUES (?)", ((v,) for v in rows)
            )

    # -- the import lock --------------------------------------------------------------------

    @contextmanager
    def import_lock(self, wait_s: float) -> Iterator[None]:
        """An exclusive flock on a sidecar file: two imports never interleave, while Koito
        (which never looks at that file) is not blocked at all. The file is left in place:
        unlinking it would let a waiting process lock a stale inode."""
        lock_path = self._path + ".koito-import.lock"
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot create the import lock {lock_path}: {exc}") from exc
        try:
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockHeld(
                            f"another koito-import is writing to {self._path} "
                            f"(lock {lock_path}); try again later or pass --wait SECONDS"
                        ) from None
                    time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # -- users ------------------------------------------------------------------------------

    def user(self, username: str | None, default_username: str, default_password: str) -> User:
        if username is not None:
            with self._transaction("DEFERRED") as conn:
                row = conn.execute(
                    "SELECT id, username FROM users WHERE username = ?", (username.lower(),)
                ).fetchone()
            if row is None:
                raise StoreError(f"no user {username!r} in {self.description}")
            return User(row[0], row[1], created=False)
        # IMMEDIATE: if the default user must be created, nobody else creates it meanwhile.
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT id, username FROM users WHERE role = 'admin' ORDER BY id LIMIT 1"
            ).fetchone()
            if row is not None:
                return User(row[0], row[1], created=False)
            if conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None:
                raise StoreError(f"{self.description} has no admin user; pass --user NAME")
            # As Koito does at first start; Go's bcrypt accepts Python's $2b$ hashes.
            name = default_username.lower()
            hashed = bcrypt.hashpw(default_password.encode(), bcrypt.gensalt(10))
            cur = conn.execute(
                "INSERT INTO users (username, role, password) VALUES (?, 'admin', ?)",
                (name, hashed),
            )
            return User(int(cur.lastrowid or 0), name, created=True)

    # -- reads ------------------------------------------------------------------------------

    def lookup(self, keys: Sequence[str]) -> dict[str, int]:
        if not keys:
            return {}
        with self._transaction("DEFERRED") as conn:  # a read snapshot; temp writes only
            self._load("q_keys", keys)
            rows = conn.execute(
                "SELECT l.lookup_key, l.track_id FROM temp.q_keys q "
                "CROSS JOIN track_lookup l ON l.lookup_key = q.v"
            ).fetchall()
        return dict(rows)

    def mbid_coverage(self, track_ids: Collection[int]) -> dict[int, MbidCoverage]:
        if not track_ids:
            return {}
        with self._transaction("DEFERRED") as conn:
            self._load("q_keys", track_ids)
            rows = conn.execute(_MBID_COVERAGE).fetchall()
        return {r[0]: MbidCoverage(r[1], r[2], set(_split(r[3])), r[4] or 0) for r in rows}

    def fetch_artists(self, names: Collection[str], mbids: Collection[str]) -> list[ArtistRow]:
        if not names and not mbids:
            return []
        with self._transaction("DEFERRED") as conn:
            self._load("q_keys", names)
            self._load("q_mbids", mbids)
            rows = conn.execute(
                "SELECT a.id, a.musicbrainz_id, aa.alias FROM artists a "
                "LEFT JOIN artist_aliases aa ON aa.artist_id = a.id "
                f"WHERE a.id IN ({_ARTIST_IDS}) "
                "ORDER BY a.id, aa.is_primary DESC, aa.rowid"  # primary first, then as added
            ).fetchall()
        found: dict[int, ArtistRow] = {}
        for artist_id, mbid, alias in rows:
            row = found.setdefault(artist_id, ArtistRow(artist_id, mbid, []))
            if alias is not None:
                row.aliases.append(alias)
        return list(found.values())

    def fetch_releases(
        self, titled: Collection[tuple[str, int]], mbids: Collection[str]
    ) -> list[ReleaseRow]:
        if not titled and not mbids:
            return []
        with self._transaction("DEFERRED") as conn:
            self._load("q_pairs", titled)
            self._load("q_mbids", mbids)
            rows = conn.execute(
                "SELECT r.id, r.musicbrainz_id, "
                "(SELECT alias FROM release_aliases WHERE release_id = r.id AND is_primary = 1"
                " ORDER BY rowid LIMIT 1), "
                "(SELECT group_concat(artist_id) FROM artist_releases WHERE release_id = r.id) "
                f"FROM releases r WHERE r.id IN ({_RELEASE_IDS}) ORDER BY r.id"
            ).fetchall()
        return [ReleaseRow(i, mbid, title or "", _ids(artists)) for i, mbid, title, artists in rows]

    def fetch_tracks(
        self, titled: Collection[tuple[str, int]], mbids: Collection[str]
    ) -> list[TrackRow]:
        if not titled and not mbids:
            return []
        with self._transaction("DEFERRED") as conn:
            self._load("q_pairs", titled)
            self._load("q_mbids", mbids)
            rows = conn.execute(
                "SELECT t.id, t.musicbrainz_id, "
                "(SELECT alias FROM track_aliases WHERE track_id = t.id AND is_primary = 1"
                " ORDER BY rowid LIMIT 1), "
                "t.release_id, "
                "(SELECT group_concat(artist_id) FROM artist_tracks WHERE track_id = t.id), "
                "t.duration "
                f"FROM tracks t WHERE t.id IN ({_TRACK_IDS}) ORDER BY t.id"
            ).fetchall()
        return [
            TrackRow(i, mbid, title or "", release, _ids(artists), duration)
            for i, mbid, title, release, artists, duration in rows
        ]

    # -- the batch write --------------------------------------------------------------------

    def write(self, batch: BatchWrite) -> int:
        with self._transaction() as conn:
            new = _create_entities(conn, batch)
            _link_and_fill(conn, batch, new)
            inserted = _insert_listens(conn, batch, new)
            _upsert_lookups(conn, batch, new)
        return inserted


@dataclass(slots=True)
class _NewIds:
    """Real ids of the batch's new entities, in BatchWrite order (to resolve references)."""

    artists: list[int]
    releases: list[int]
    tracks: list[int]


def _create_entities(conn: sqlite3.Connection, batch: BatchWrite) -> _NewIds:
    # Row by row for lastrowid: in-process SQLite makes this as fast as a bulk insert.
    artists = [
        _insert(conn, "artists", "artist_aliases", "artist_id", a.aliases,
                musicbrainz_id=a.mbid, image=a.image, image_source=a.image_source)
        for a in batch.artists
    ]  # fmt: skip
    releases = [
        _insert(conn, "releases", "release_aliases", "release_id", r.aliases,
                musicbrainz_id=r.mbid, various_artists=int(r.various_artists),
                image=r.image, image_source=r.image_source)
        for r in batch.releases
    ]  # fmt: skip
    tracks = [
        _insert(conn, "tracks", "track_aliases", "track_id", t.aliases,
                musicbrainz_id=t.mbid, duration=t.duration,
                release_id=_ref(t.release, releases))
        for t in batch.tracks
    ]  # fmt: skip
    return _NewIds(artists, releases, tracks)


def _link_and_fill(conn: sqlite3.Connection, batch: BatchWrite, new: _NewIds) -> None:
    """Artist links (kept as they are when present), missing MBIDs, missing durations."""
    conn.executemany(
        "INSERT OR IGNORE INTO artist_releases (artist_id, release_id, is_primary) "
        "VALUES (?, ?, ?)",
        [
            (_ref(a, new.artists), _ref(r, new.releases), int(p))
            for a, r, p in batch.artist_releases
        ],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO artist_tracks (artist_id, track_id, is_primary) VALUES (?, ?, ?)",
        [(_ref(a, new.artists), _ref(t, new.tracks), int(p)) for a, t, p in batch.artist_tracks],
    )
    for table, pairs, ids in (
        ("artists", batch.artist_mbids, new.artists),
        ("releases", batch.release_mbids, new.releases),
        ("tracks", batch.track_mbids, new.tracks),
    ):
        # Only fill a missing MBID, and never take one another row has (it is UNIQUE).
        conn.executemany(
            f"UPDATE {table} SET musicbrainz_id = ?1 WHERE id = ?2 AND musicbrainz_id IS NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {table} WHERE musicbrainz_id = ?1)",
            [(mbid, _ref(ref, ids)) for ref, mbid in pairs],
        )
    conn.executemany(
        "UPDATE tracks SET duration = ? WHERE id = ? AND duration = 0",
        [(d, _ref(ref, new.tracks)) for ref, d in batch.track_durations],
    )


def _insert_listens(conn: sqlite3.Connection, batch: BatchWrite, new: _NewIds) -> int:
    """Insert the listens, keeping any existing (track, listened_at); return how many landed."""
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO listens (track_id, listened_at, user_id, client) "
        "VALUES (?, ?, ?, ?)",
        [
            (_ref(x.track, new.tracks), int(x.listened_at), batch.user_id, x.client or "")
            for x in batch.listens
        ],
    )
    return conn.total_changes - before


def _upsert_lookups(conn: sqlite3.Connection, batch: BatchWrite, new: _NewIds) -> None:
    conn.executemany(
        "INSERT INTO track_lookup (lookup_key, artist_id, album_id, track_id) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (lookup_key) DO UPDATE SET "
        "artist_id = excluded.artist_id, album_id = excluded.album_id, "
        "track_id = excluded.track_id",
        [
            (x.key, _ref(x.artist, new.artists), _ref(x.release, new.releases),
             _ref(x.track, new.tracks))
            for x in batch.lookups
        ],
    )  # fmt: skip


def _insert(
    conn: sqlite3.Connection,
    table: str,
    alias_table: str,
    fk: str,
    aliases: list[Alias],
    **columns: Any,
) -> int:
    """Insert one entity row and its aliases; return its new id."""
    names = ", ".join(columns)
    marks = ", ".join("?" * len(columns))
    new_id = conn.execute(
        f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(columns.values())
    ).lastrowid
    assert new_id is not None
    # OR IGNORE: an export may list the same alias twice; the first (primary-first) wins.
    conn.executemany(
        f"INSERT OR IGNORE INTO {alias_table} ({fk}, alias, source, is_primary) "
        "VALUES (?, ?, ?, ?)",
        [(new_id, a.alias, a.source, int(a.is_primary)) for a in aliases],
    )
    return new_id


def _ref(ref: int, new_ids: list[int]) -> int:
    """A BatchWrite reference: a positive existing id, or -(i + 1) for the i-th new entity."""
    if ref > 0:
        return ref
    if ref < 0 and -ref <= len(new_ids):
        return new_ids[-ref - 1]
    raise ValueError(f"bad entity reference {ref} (batch has {len(new_ids)} new)")


def _ids(concatenated: str | None) -> set[int]:
    return {int(x) for x in _split(concatenated)}


def _split(concatenated: str | None) -> list[str]:
    return concatenated.split(",") if concatenated else []
