"""The PostgreSQL back end: set-based look-ups on a connection pool, writes with COPY.

Look-ups are split into chunks that run at once on pooled connections (the `--workers`);
each batch is written on one dedicated connection in one transaction: ids for new entities
come from Koito's own sequences, rows go in with COPY, listens and lookup rows through
temporary tables so duplicates are skipped by the primary keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import bcrypt
import psycopg
from psycopg_pool import ConnectionPool

from koito_import.dburl import Database
from koito_import.store import sql_postgres as q
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
from koito_import.store.refs import RefMap

T = TypeVar("T")
LOCK_KEY = 0x6B6F69746F  # "koito": one import at a time per database
CHUNK = 2000  # keys per look-up query when spread across workers


class PostgresStore:
    """With `rehearsal` (--dry-run) every batch is written inside one transaction that
    `close` rolls back, and look-ups read through that transaction to see earlier batches."""

    def __init__(self, db: Database, workers: int = 2, rehearsal: bool = False) -> None:
        self.description = db.display()
        self.workers = 1 if rehearsal else max(1, workers)
        self.rehearsal = rehearsal
        try:
            self._writer = psycopg.connect(db.url, autocommit=True)
            self._locker = psycopg.connect(db.url, autocommit=True)
            self._pool = ConnectionPool(
                db.url, min_size=1, max_size=self.workers, open=True, timeout=30
            )
        except psycopg.OperationalError as exc:
            raise StoreError(f"cannot connect to {self.description}: {_first_line(exc)}") from exc
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="lookup")
        self._writer.execute(q.CREATE_TEMP_TABLES)
        if rehearsal:
            self._writer.execute("BEGIN")  # batches become savepoints inside it

    def close(self) -> None:
        if self.rehearsal:
            self._writer.execute("ROLLBACK")
        self._executor.shutdown()
        self._pool.close()
        self._writer.close()
        self._locker.close()

    @contextmanager
    def import_lock(self, wait_s: float) -> Iterator[None]:
        deadline = time.monotonic() + wait_s
        while not self._locker.execute(q.TRY_LOCK, (LOCK_KEY,)).fetchone()[0]:  # type: ignore[index]
            if time.monotonic() >= deadline:
                raise LockHeld(
                    f"another koito-import is writing to {self.description}; "
                    "try again later or pass --wait SECONDS"
                )
            time.sleep(0.2)
        try:
            yield
        finally:
            self._locker.execute(q.UNLOCK, (LOCK_KEY,))

    def user(self, username: str | None, default_username: str, default_password: str) -> User:
        with self._errors("reading users from"), self._writer.transaction():
            if username:
                row = self._writer.execute(q.USER_NAMED, (username.lower(),)).fetchone()
                if row is None:
                    raise StoreError(f"Koito has no user named {username!r}")
                return User(row[0], row[1], False)
            row = self._writer.execute(q.FIRST_ADMIN).fetchone()
            if row is not None:
                return User(row[0], row[1], False)
            if self._writer.execute("SELECT count(*) FROM users").fetchone()[0]:  # type: ignore[index]
                raise StoreError("Koito has users but no admin; name one with --user")
            digest = bcrypt.hashpw(default_password.encode(), bcrypt.gensalt(10))
            row = self._writer.execute(
                q.CREATE_ADMIN, (default_username.lower(), digest)
            ).fetchone()
            assert row is not None
        return User(row[0], default_username.lower(), True)

    # -- look-ups --

    def lookup(self, keys: Sequence[str]) -> dict[str, int]:
        rows = self._spread(q.LOOKUP, list(keys), lambda chunk: (chunk,))
        return dict(rows)

    def mbid_coverage(self, track_ids: Collection[int]) -> dict[int, MbidCoverage]:
        rows = self._spread(q.MBID_COVERAGE, list(track_ids), lambda chunk: (chunk,))
        return {r[0]: MbidCoverage(r[1], r[2], set(r[3]), r[4]) for r in rows}

    def tracks_without_duration(self, track_ids: Collection[int]) -> set[int]:
        rows = self._spread(q.WITHOUT_DURATION, list(track_ids), lambda chunk: (chunk,))
        return {r[0] for r in rows}

    def present_listens(self, listens: Collection[tuple[int, int]]) -> set[tuple[int, int]]:
        rows = self._spread(q.PRESENT_LISTENS, list(listens), _split_pairs)
        return {(r[0], r[1]) for r in rows}

    def fetch_artists(self, names: Collection[str], mbids: Collection[str]) -> list[ArtistRow]:
        rows = self._spread(q.ARTISTS_NAMED, list(names), lambda c: (c,))
        if mbids:
            rows += self._query(q.ARTISTS_WITH_MBID, (list(mbids),))
        return [ArtistRow(r[0], r[1], r[2]) for r in _unique_ids(rows)]

    def fetch_releases(
        self, titled: Collection[tuple[str, int]], mbids: Collection[str]
    ) -> list[ReleaseRow]:
        # Koito has no btree index on release titles; without hash joins the planner walks
        # every release of each artist (minutes for prolific artists, seconds this way).
        rows = self._spread(q.RELEASES_TITLED, list(titled), _split_pairs, hash_joins=True)
        if mbids:
            rows += self._query(q.RELEASES_WITH_MBID, (list(mbids),))
        return [ReleaseRow(r[0], r[1], r[2], set(r[3])) for r in _unique_ids(rows)]

    def fetch_tracks(
        self, titled: Collection[tuple[str, int]], mbids: Collection[str]
    ) -> list[TrackRow]:
        rows = self._spread(q.TRACKS_TITLED, list(titled), _split_pairs)
        if mbids:
            rows += self._query(q.TRACKS_WITH_MBID, (list(mbids),))
        return [TrackRow(r[0], r[1], r[2], r[3], set(r[4]), r[5]) for r in _unique_ids(rows)]

    def _query(
        self, sql: str, params: tuple[Any, ...], hash_joins: bool = False
    ) -> list[tuple[Any, ...]]:
        with self._errors("reading from"):
            if self.rehearsal:
                return _run_query(self._writer, sql, params, hash_joins)
            with self._pool.connection() as conn:
                return _run_query(conn, sql, params, hash_joins)

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Driver errors become one-line StoreErrors naming the database."""
        try:
            yield
        except psycopg.Error as exc:
            raise StoreError(f"{doing} {self.description} failed: {_first_line(exc)}") from exc

    def _spread(
        self,
        sql: str,
        keys: list[T],
        params: Callable[[list[T]], tuple[Any, ...]],
        hash_joins: bool = False,
    ) -> list[tuple[Any, ...]]:
        """Run `sql` over `keys` in chunks, on as many pooled connections as there are workers."""
        if not keys:
            return []
        size = max(CHUNK, -(-len(keys) // self.workers))
        chunks = [keys[i : i + size] for i in range(0, len(keys), size)]
        if len(chunks) == 1:
            return self._query(sql, params(chunks[0]), hash_joins)
        results = self._executor.map(lambda c: self._query(sql, params(c), hash_joins), chunks)
        return [row for rows in results for row in rows]

    # -- writing --

    def write(self, batch: BatchWrite) -> int:
        with self._errors("writing to"), self._writer.transaction():
            self._writer.execute(q.CLEAR_TEMP_TABLES)
            refs = self._allocate(batch)
            _copy_entities(self._writer, batch, refs)
            _apply_updates(self._writer, batch, refs)
            inserted = _copy_listens(self._writer, batch, refs)
            _copy_lookups(self._writer, batch, refs)
        return inserted

    def _allocate(self, batch: BatchWrite) -> RefMap:
        def ids(sequence: str, count: int) -> list[int]:
            if not count:
                return []
            rows = self._writer.execute(q.NEXT_IDS.format(seq=sequence), (count,)).fetchall()
            return [r[0] for r in rows]

        return RefMap(
            ids("artists_id_seq", len(batch.artists)),
            ids("releases_id_seq", len(batch.releases)),
            ids("tracks_id_seq", len(batch.tracks)),
        )


def _copy(conn: psycopg.Connection, sql: str, rows: Iterator[tuple[Any, ...]] | list) -> None:
    with conn.cursor().copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _copy_entities(conn: psycopg.Connection, batch: BatchWrite, refs: RefMap) -> None:
    a, r, t = refs.artist, refs.release, refs.track
    if batch.artists:
        _copy(
            conn,
            q.COPY_ARTISTS,
            [(a(-i - 1), n.mbid, n.image, n.image_source) for i, n in enumerate(batch.artists)],
        )
        _copy(conn, q.COPY_ARTIST_ALIASES, refs.aliases(batch.artists, a))
    if batch.releases:
        _copy(
            conn,
            q.COPY_RELEASES,
            [
                (r(-i - 1), n.mbid, n.image, n.various_artists, n.image_source)
                for i, n in enumerate(batch.releases)
            ],
        )
        _copy(conn, q.COPY_RELEASE_ALIASES, refs.aliases(batch.releases, r))
    if batch.artist_releases:
        _copy(conn, q.COPY_TMP_LINKS, [(a(x), r(y), p) for x, y, p in batch.artist_releases])
        conn.execute(q.INSERT_ARTIST_RELEASES)
    if batch.tracks:
        _copy(
            conn,
            q.COPY_TRACKS,
            [(t(-i - 1), n.mbid, n.duration, r(n.release)) for i, n in enumerate(batch.tracks)],
        )
        _copy(conn, q.COPY_TRACK_ALIASES, refs.aliases(batch.tracks, t))
    if batch.artist_tracks:
        _copy(conn, q.COPY_TMP_LINKS, [(a(x), t(y), p) for x, y, p in batch.artist_tracks])
        conn.execute(q.INSERT_ARTIST_TRACKS)


def _apply_updates(conn: psycopg.Connection, batch: BatchWrite, refs: RefMap) -> None:
    for sql, pairs, resolve in (
        (q.SET_ARTIST_MBIDS, batch.artist_mbids, refs.artist),
        (q.SET_RELEASE_MBIDS, batch.release_mbids, refs.release),
        (q.SET_TRACK_MBIDS, batch.track_mbids, refs.track),
        (q.SET_TRACK_DURATIONS, batch.track_durations, refs.track),
    ):
        if pairs:
            conn.execute(sql, ([resolve(p[0]) for p in pairs], [p[1] for p in pairs]))


def _copy_listens(conn: psycopg.Connection, batch: BatchWrite, refs: RefMap) -> int:
    if not batch.listens:
        return 0
    new = refs.new_tracks
    rows = ((t if t > 0 else new[~t], ts, client) for t, ts, client in batch.listens)
    _copy(conn, q.COPY_TMP_LISTENS, rows)
    return conn.execute(q.INSERT_LISTENS, (batch.user_id,)).rowcount


def _copy_lookups(conn: psycopg.Connection, batch: BatchWrite, refs: RefMap) -> None:
    if batch.lookups:
        _copy(
            conn,
            q.COPY_TMP_LOOKUPS,
            (
                (x.key, refs.artist(x.artist), refs.release(x.release), refs.track(x.track))
                for x in batch.lookups
            ),
        )
        conn.execute(q.UPSERT_LOOKUPS)


def _run_query(
    conn: psycopg.Connection, sql: str, params: tuple[Any, ...], hash_joins: bool
) -> list[tuple[Any, ...]]:
    if not hash_joins:
        return conn.execute(sql, params).fetchall()
    with conn.transaction():
        conn.execute("SET LOCAL enable_nestloop = off")
        return conn.execute(sql, params).fetchall()


def _split_pairs(pairs: list[tuple[Any, int]]) -> tuple[list[Any], list[int]]:
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _unique_ids(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return list({row[0]: row for row in rows}.values())


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
