"""The SQLite back end (Koito v0.2+, `koito.db` in WAL mode), on the standard library driver.

Koito keeps serving from the same file while an import runs, so every write is one short
`BEGIN IMMEDIATE ... COMMIT` per batch, with a busy timeout rather than a hang. Look-ups load
their keys into small temp tables and join, so a batch costs a handful of queries however many
names it holds (and never hits SQLite's bound-variable limit).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from koito_import.core.dburl import Database
from koito_import.store import concurrent, minutes
from koito_import.store import sql_sqlite as q
from koito_import.store.base import (
    ArtistRow,
    BatchWrite,
    CatalogChanged,
    CatalogMark,
    ReleaseRow,
    TrackRow,
    User,
    WithinWrite,
    Written,
)
from koito_import.store.shared import DriverErrors, choose_user, import_lock, translated
from koito_import.store.sidecar_lock import SidecarLock
from koito_import.store.sqlite_rows import (
    create_entities,
    insert_listens,
    link_and_fill,
    upsert_lookups,
)


class SqliteStore:
    """Koito's SQLite database, through one connection (serialized across threads)."""

    kind = "sqlite"

    def __init__(self, db: Database, busy_timeout_s: float = 5.0) -> None:
        self.description = db.display()
        self._path = str(db.path)
        self._busy_timeout_s = busy_timeout_s
        self._mutex = threading.RLock()  # resolver threads may share this store
        self._driver = DriverErrors(
            caught=(sqlite3.Error,),
            bugs=(sqlite3.ProgrammingError, sqlite3.InterfaceError),
            conflicts=(sqlite3.IntegrityError,),
            locked=self._locked,
        )
        with self._errors():
            self._conn = _connect(self._path, busy_timeout_s)

    def close(self) -> None:
        with self._mutex:
            self._conn.close()

    # -- errors and transactions ----------------------------------------------------------

    def _errors(self) -> AbstractContextManager[None]:
        """Driver errors become one-line StoreErrors naming the file."""
        return translated(self.description, self._driver)

    def _locked(self, exc: BaseException) -> str | None:
        if isinstance(exc, sqlite3.OperationalError) and any(
            word in str(exc) for word in ("locked", "busy")
        ):
            return (
                f"{self.description} stayed locked by another writer for more than "
                f"{self._busy_timeout_s:g}s; try again later"
            )
        return None

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

    def transaction(self, readonly: bool = False) -> AbstractContextManager[sqlite3.Connection]:
        return self._transaction("DEFERRED" if readonly else "IMMEDIATE")

    def _load(self, table: str, rows: Iterable[Any]) -> None:
        """Replace a temp table's contents (inside a transaction)."""
        self._conn.execute(f"DELETE FROM temp.{table}")
        if table in ("q_pairs", "q_present"):
            self._conn.executemany(f"INSERT OR IGNORE INTO temp.{table} VALUES (?, ?)", rows)
        else:
            self._conn.executemany(
                f"INSERT OR IGNORE INTO temp.{table} VALUES (?)", ((v,) for v in rows)
            )

    # -- the import lock --------------------------------------------------------------------

    @contextmanager
    def import_lock(self, wait_s: float) -> Iterator[None]:
        """An exclusive flock on a sidecar file: two imports never interleave, while Koito
        (which never looks at that file) is not blocked at all. The file exists only while a
        run holds it (see SidecarLock), so nothing is left beside the database."""
        lock = SidecarLock(self._path + ".koito-import.lock", self._path)
        holder = f"{self.description} (lock {lock.path})"
        try:
            with import_lock(lock.try_lock, lock.release, wait_s, holder):
                yield
        finally:
            lock.close()

    # -- users ------------------------------------------------------------------------------

    def user(self, username: str | None, default_username: str, default_password: str) -> User:
        # IMMEDIATE: if the default user must be created, nobody else creates it meanwhile.
        with self._transaction() as conn:
            return choose_user(
                conn, q, username, default_username, default_password, self.description
            )

    # -- reads ------------------------------------------------------------------------------

    def lookup(self, keys: Sequence[str]) -> dict[str, int]:
        if not keys:
            return {}
        with self._transaction("DEFERRED") as conn:  # a read snapshot; temp writes only
            self._load("q_keys", keys)
            rows = conn.execute(q.LOOKUP).fetchall()
        return dict(rows)

    def tracks_without_duration(self, track_ids: Collection[int]) -> set[int]:
        if not track_ids:
            return set()
        with self._transaction("DEFERRED") as conn:
            self._load("q_keys", track_ids)
            return {row[0] for row in conn.execute(q.WITHOUT_DURATION)}

    def present_listens(self, listens: Collection[tuple[int, int]]) -> set[tuple[int, int]]:
        if not listens:
            return set()
        with self._transaction("DEFERRED") as conn:
            self._load("q_present", listens)
            return set(conn.execute(q.PRESENT_LISTENS).fetchall())

    def fetch_artists(self, names: Collection[str], mbids: Collection[str]) -> list[ArtistRow]:
        if not names and not mbids:
            return []
        with self._transaction("DEFERRED") as conn:
            self._load("q_keys", names)
            self._load("q_mbids", mbids)
            rows = conn.execute(q.ARTISTS).fetchall()  # primary alias first, then as added
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
            rows = conn.execute(q.RELEASES).fetchall()
        return [ReleaseRow(i, mbid, title or "", _ids(artists)) for i, mbid, title, artists in rows]

    def fetch_tracks(
        self, titled: Collection[tuple[str, int]], mbids: Collection[str]
    ) -> list[TrackRow]:
        if not titled and not mbids:
            return []
        with self._transaction("DEFERRED") as conn:
            self._load("q_pairs", titled)
            self._load("q_mbids", mbids)
            rows = conn.execute(q.TRACKS).fetchall()
        return [
            TrackRow(i, mbid, title or "", release, _ids(artists), duration)
            for i, mbid, title, release, artists, duration in rows
        ]

    def listens_in_minutes(
        self, user_id: int, starts: Collection[int]
    ) -> list[tuple[int, int, str | None, str, str]]:
        if not starts:
            return []
        with self._transaction("DEFERRED") as conn:
            return conn.execute(
                minutes.SQLITE_NEAR, (json.dumps(sorted(starts)), user_id)
            ).fetchall()

    def has_minute_listens(self, user_id: int) -> bool:
        sql = minutes.ANY_MINUTE_LISTEN.replace("%s", "?")
        with self._transaction("DEFERRED") as conn:
            return bool(conn.execute(sql, (*minutes.MINUTE_PARAMS, user_id)).fetchone()[0])

    # -- the batch write --------------------------------------------------------------------

    def catalog_mark(self) -> CatalogMark:
        with self._mutex, self._errors():
            return CatalogMark(*self._conn.execute(concurrent.MARK).fetchone())

    def write(self, batch: BatchWrite, within: WithinWrite | None = None) -> Written:
        with self._transaction() as conn:
            if concurrent.creates_anything(batch):
                params = concurrent.check_params(batch, json.dumps)
                if conn.execute(concurrent.SQLITE_CHANGED, params).fetchone()[0]:
                    raise CatalogChanged()
            refs = create_entities(conn, batch)
            link_and_fill(conn, batch, refs)
            written = refs.written(insert_listens(conn, batch, refs))
            upsert_lookups(conn, batch, refs)
            if within is not None:
                within(conn, written)
        return written


def _connect(path: str, busy_timeout_s: float) -> sqlite3.Connection:
    """A connection set up for sharing the file with Koito, or none at all."""
    # isolation_level=None: the driver never opens transactions behind our back.
    conn = sqlite3.connect(
        path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")  # Koito's mode; a no-op when set
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")  # durable enough under WAL
        conn.executescript(q.TUNING)  # first: temp_store drops temp tables
        conn.executescript(q.TEMP_TABLES)
    except BaseException:
        conn.close()
        raise
    return conn


def _ids(concatenated: str | None) -> set[int]:
    return {int(x) for x in _split(concatenated)}


def _split(concatenated: str | None) -> list[str]:
    return concatenated.split(",") if concatenated else []
