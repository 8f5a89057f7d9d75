"""The PostgreSQL back end: set-based look-ups on a connection pool, writes with COPY.

Look-ups are split into chunks that run at once on pooled connections (the `--workers`);
each batch is written on one dedicated connection in one transaction: ids for new entities
come from Koito's own sequences, rows go in with COPY, listens and lookup rows through
temporary tables so duplicates are skipped by the primary keys.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from dataclasses import replace
from typing import Any, TypeVar

import psycopg

from koito_import.dburl import Database
from koito_import.model import Alias
from koito_import.store import concurrent
from koito_import.store import sql_postgres as q
from koito_import.store.base import (
    LOOKUP_CHUNK,
    ArtistRow,
    BatchWrite,
    CatalogChanged,
    CatalogMark,
    NewRelease,
    ReleaseRow,
    TrackRow,
    User,
    WithinWrite,
    Written,
)
from koito_import.store.refs import RefMap
from koito_import.store.shared import DriverErrors, choose_user, import_lock, translated

T = TypeVar("T")
LOCK_KEY = 0x6B6F69746F  # "koito": one import at a time per database
CHUNK = LOOKUP_CHUNK  # keys per look-up query when spread across workers


class PostgresStore:
    """With `rehearsal` (--dry-run) every batch is written inside one transaction that
    `close` rolls back, and look-ups read through that transaction to see earlier batches."""

    kind = "postgresql"

    def __init__(self, db: Database, workers: int = 2, rehearsal: bool = False) -> None:
        self.description = db.display()
        self.workers = 1 if rehearsal else max(1, workers)
        self.rehearsal = rehearsal
        self._driver = DriverErrors(
            caught=(psycopg.Error,),
            bugs=(psycopg.InterfaceError,),
            conflicts=(psycopg.IntegrityError,),
        )
        # Everything opened is closed by `close`, or at once when a later step fails.
        self._opened = ExitStack()
        with self._opened, self._errors("opening"):
            self._writer = self._opened.enter_context(_connect(db))
            self._locker = self._opened.enter_context(_connect(db))
            self._pool = self._opened.enter_context(_Pool(db))
            self._executor = self._opened.enter_context(
                ThreadPoolExecutor(self.workers, thread_name_prefix="lookup")
            )
            self._writer.execute(q.CREATE_TEMP_TABLES)
            if rehearsal:
                self._writer.execute("BEGIN")  # batches become savepoints inside it
                self._opened.callback(self._roll_back)
            self._opened = self._opened.pop_all()  # all went well: keep them open

    def close(self) -> None:
        self._opened.close()

    def _roll_back(self) -> None:
        with suppress(psycopg.Error):  # a broken connection has dropped the transaction
            self._writer.execute("ROLLBACK")

    @contextmanager
    def transaction(self, readonly: bool = False) -> Iterator[psycopg.Connection]:
        doing = "reading from" if readonly else "writing to"
        with self._errors(doing), self._writer.transaction():
            yield self._writer

    @contextmanager
    def import_lock(self, wait_s: float) -> Iterator[None]:
        def try_lock() -> bool:
            with self._errors("locking"):
                return bool(self._locker.execute(q.TRY_LOCK, (LOCK_KEY,)).fetchone()[0])  # type: ignore[index]

        def unlock() -> None:
            with self._errors("unlocking"):
                self._locker.execute(q.UNLOCK, (LOCK_KEY,))

        with import_lock(try_lock, unlock, wait_s, self.description):
            yield

    def user(self, username: str | None, default_username: str, default_password: str) -> User:
        with self._errors("reading users from"), self._writer.transaction():
            return choose_user(
                self._writer, q, username, default_username, default_password, self.description
            )

    # -- look-ups --

    def lookup(self, keys: Sequence[str]) -> dict[str, int]:
        rows = self._spread(q.LOOKUP, list(keys), lambda chunk: (chunk,))
        return dict(rows)

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

    def _errors(self, doing: str) -> AbstractContextManager[None]:
        """Driver errors become one-line StoreErrors naming the database."""
        return translated(self.description, self._driver, doing)

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

    def catalog_mark(self) -> CatalogMark:
        return CatalogMark(*self._query(concurrent.MARK, ())[0])

    def write(self, batch: BatchWrite, within: WithinWrite | None = None) -> Written:
        with self.transaction() as conn:
            if concurrent.creates_anything(batch):
                conn.execute(concurrent.POSTGRES_LOCK)
                params = concurrent.check_params(batch, list)
                if conn.execute(concurrent.POSTGRES_CHANGED, params).fetchone()[0]:
                    raise CatalogChanged()
            conn.execute(q.CLEAR_TEMP_TABLES)
            refs = self._allocate(batch)
            _copy_entities(conn, batch, refs)
            _apply_updates(conn, batch, refs)
            written = refs.written(_copy_listens(conn, batch, refs))
            _copy_lookups(conn, batch, refs)
            if within is not None:
                within(conn, written)
        return written

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


def _connect(db: Database) -> psycopg.Connection:
    return psycopg.connect(db.url, autocommit=True)


class _Pool:
    """Look-up connections, each opened when a look-up first needs one, in the thread that
    needs it: a failure to connect is raised there, like any query's, and never retried in
    the background. There are never more than the executor's threads ask for at once."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._idle: queue.SimpleQueue[psycopg.Connection] = queue.SimpleQueue()
        self._opened: list[psycopg.Connection] = []
        self._lock = threading.Lock()

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = _connect(self._db)
            with self._lock:
                self._opened.append(conn)
        try:
            yield conn
        finally:
            self._idle.put(conn)

    def close(self) -> None:
        with self._lock:
            for conn in self._opened:
                conn.close()


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
        _copy(conn, q.COPY_RELEASE_ALIASES, refs.aliases(_trimmed_too(batch.releases), r))
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


def _trimmed_too(releases: list[NewRelease]) -> list[NewRelease]:
    """Koito's PostgreSQL SaveAlbum also saves every alias of a new release trimmed (source
    MusicBrainz): a title with spaces around it gets its trimmed text as a second alias
    (`RefMap.aliases` keeps the first of two equal texts)."""
    return [
        replace(new, aliases=[*new.aliases, *_trimmed(new.aliases)])
        if any(a.alias != a.alias.strip() for a in new.aliases)
        else new
        for new in releases
    ]


def _trimmed(aliases: list[Alias]) -> list[Alias]:
    return [Alias(a.alias.strip(), "MusicBrainz", False) for a in aliases if a.alias.strip()]


def _apply_updates(conn: psycopg.Connection, batch: BatchWrite, refs: RefMap) -> None:
    for sql, pairs, resolve in (
        (q.SET_ARTIST_MBIDS, batch.artist_mbids, refs.artist),
        (q.SET_RELEASE_MBIDS, batch.release_mbids, refs.release),
        (q.SET_TRACK_MBIDS, batch.track_mbids, refs.track),
        (q.SET_TRACK_DURATIONS, batch.track_durations, refs.track),
    ):
        if pairs:
            conn.execute(sql, ([resolve(p[0]) for p in pairs], [p[1] for p in pairs]))


def _copy_listens(
    conn: psycopg.Connection, batch: BatchWrite, refs: RefMap
) -> list[tuple[int, int]]:
    """The (track, listened_at) of the listens inserted (not those already there)."""
    if not batch.listens:
        return []
    new = refs.new_tracks
    rows = ((t if t > 0 else new[~t], ts, client) for t, ts, client in batch.listens)
    _copy(conn, q.COPY_TMP_LISTENS, rows)
    return conn.execute(q.INSERT_LISTENS, (batch.user_id,)).fetchall()  # type: ignore[return-value]


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
