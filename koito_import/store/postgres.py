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
from typing import Any, TypeVar

import psycopg

from koito_import.core.dburl import Database
from koito_import.store import concurrent, minutes
from koito_import.store import sql_postgres as q
from koito_import.store.base import (
    LOOKUP_CHUNK,
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
from koito_import.store.postgres_rows import (
    apply_updates,
    copy_entities,
    copy_listens,
    copy_lookups,
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

    def listens_in_minutes(
        self, user_id: int, starts: Collection[int]
    ) -> list[tuple[int, int, str | None, str, str]]:
        if not starts:
            return []
        return self._query(minutes.POSTGRES_NEAR, (sorted(starts), user_id))  # type: ignore[return-value]

    def has_minute_listens(self, user_id: int) -> bool:
        return bool(self._query(minutes.ANY_MINUTE_LISTEN, (*minutes.MINUTE_PARAMS, user_id))[0][0])

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
        if self.rehearsal:
            # The rehearsal's own rows hold the tables until it ends: the locks would wait for
            # them for ever. A dry run keeps nothing, so the plain mark is enough.
            return CatalogMark(*self._query(concurrent.MARK, ())[0])
        # On a look-up connection: the writer's transaction would keep the locks (store.concurrent).
        with self._errors("reading from"), self._pool.connection() as conn:
            return concurrent.postgres_mark(conn)

    def write(self, batch: BatchWrite, within: WithinWrite | None = None) -> Written:
        with self.transaction() as conn:
            if concurrent.creates_anything(batch):
                conn.execute(concurrent.POSTGRES_LOCK)
                params = concurrent.check_params(batch, list)
                if conn.execute(concurrent.POSTGRES_CHANGED, params).fetchone()[0]:
                    raise CatalogChanged()
            conn.execute(q.CLEAR_TEMP_TABLES)
            refs = self._allocate(batch)
            copy_entities(conn, batch, refs)
            apply_updates(conn, batch, refs)
            written = refs.written(copy_listens(conn, batch, refs))
            copy_lookups(conn, batch, refs)
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
