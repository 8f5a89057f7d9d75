"""The ledger of runs (SPEC §6): what every run that writes did, in koito-import's own tables.

A run is recorded when it starts (`running`), batch by batch inside each batch's own
transaction (the listens it inserted, the entities it created, its counts), and when it ends
(`completed`, `interrupted` or `failed`). So whatever moment a run is killed at, the ledger
agrees with the listens: a batch and its ledger rows commit together or not at all. A run
left `running` by a crash is `interrupted`: the next command that takes the import lock
records that, and `runs` shows it so as soon as no import holds the lock.

Only what a run added is kept: the listens it found already there and the entities it merely
used are not its own, so re-importing a large export every night adds one run row, its file
rows and that night's new listens. The tables come from migration 0003.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from koito_import import schema
from koito_import.dburl import Database
from koito_import.sources import expand_inputs
from koito_import.store import open_store
from koito_import.store.base import LockHeld, Store, WithinWrite, Written

RUNNING, COMPLETED, INTERRUPTED, FAILED, UNDONE = (
    "running",
    "completed",
    "interrupted",
    "failed",
    "undone",
)
COUNTS = (
    "read_items",
    "skipped",
    "inserted",
    "duplicates",
    "artists_created",
    "releases_created",
    "tracks_created",
    "batches",
)


@dataclass(slots=True)
class RunFile:
    path: str
    size: int
    sha256: str


@dataclass(slots=True)
class Run:
    id: int
    started_at: int  # unix seconds
    finished_at: int | None
    source: str
    user: str
    status: str
    read: int = 0
    skipped: int = 0
    inserted: int = 0
    duplicates: int = 0
    artists_created: int = 0
    releases_created: int = 0
    tracks_created: int = 0
    batches: int = 0
    error: str | None = None
    undone_at: int | None = None
    files: list[RunFile] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "source": self.source,
            "user": self.user,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
            "status": self.status,
            "read": self.read,
            "skipped": self.skipped,
            "inserted": self.inserted,
            "duplicates": self.duplicates,
            "artists_created": self.artists_created,
            "releases_created": self.releases_created,
            "tracks_created": self.tracks_created,
            "batches": self.batches,
            "error": self.error,
            "undone_at": iso(self.undone_at),
        }


def iso(unix: int | None) -> str | None:
    if unix is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix))


def input_files(paths: list[Path], source: str) -> list[RunFile]:
    """Each file a run reads (directories expanded as the reader expands them), with its size
    and SHA-256, so a run can be matched to the very bytes it imported."""
    files = []
    for path in expand_inputs(paths, source):
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        files.append(RunFile(str(path.resolve()), path.stat().st_size, digest.hexdigest()))
    return files


class Sql:
    """Where the two back ends differ: placeholders, times, how a run's rows are kept."""

    def __init__(self, kind: str) -> None:
        self.pg = kind == "postgresql"

    def __call__(self, sql: str) -> str:
        """Statements are written with %s placeholders; SQLite's are ?."""
        return sql if self.pg else sql.replace("%s", "?")

    @property
    def time(self) -> str:
        """A unix-seconds parameter, as the back end stores times."""
        return "to_timestamp(%s)" if self.pg else "%s"

    def unix(self, column: str) -> str:
        return f"extract(epoch FROM {column})::bigint" if self.pg else column

    def listens_of(self) -> str:
        """A run's listens (one %s: the run id) as rows (track_id, listened_at), typed as
        listens.listened_at is."""
        if self.pg:
            return (
                "SELECT unnest(track_ids) AS track_id,"
                " to_timestamp(unnest(listened_at)) AS listened_at"
                " FROM koito_import_run_listens WHERE run_id = %s"
            )
        return "SELECT track_id, listened_at FROM koito_import_run_listens WHERE run_id = %s"

    def entities(self, where: str) -> str:
        """The ledger's (run_id, kind, entity_id) rows that match `where`."""
        if self.pg:
            return (
                "SELECT run_id, kind, unnest(entity_ids) AS entity_id"
                f" FROM koito_import_run_entities WHERE {where}"
            )
        return f"SELECT run_id, kind, entity_id FROM koito_import_run_entities WHERE {where}"

    def many(self, conn: Any, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.pg:
            conn.cursor().executemany(self(sql), rows)
        else:
            conn.executemany(self(sql), rows)


class Ledger:
    """The ledger of one database, through a store's connection (and its import lock)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sql = Sql(store.kind)

    def transaction(self, readonly: bool = False) -> AbstractContextManager[Any]:
        return self.store.transaction(readonly)

    # -- writing runs (the caller holds the import lock) --

    def mark_interrupted(self) -> None:
        """Runs still `running` died without a word (kill -9, power loss): with the import
        lock held, none of them is still going."""
        with self.transaction() as conn:
            conn.execute(
                self.sql("UPDATE koito_import_runs SET status = %s WHERE status = %s"),
                (INTERRUPTED, RUNNING),
            )

    def begin(
        self, source: str, user_id: int, username: str, files: list[RunFile], settled: Settled
    ) -> RunRecorder:
        """A new run (the caller holds the import lock)."""
        self.mark_interrupted()
        return RunRecorder(self, self.start(source, user_id, username, files, settled))

    def start(
        self, source: str, user_id: int, username: str, files: list[RunFile], settled: Settled
    ) -> int:
        """`settled`: the batches and listens the check pass found in the database already."""
        sql = self.sql
        with self.transaction() as conn:
            row = conn.execute(
                sql(
                    "INSERT INTO koito_import_runs"
                    " (started_at, source, user_id, username, status, batches, duplicates)"
                    f" VALUES ({sql.time}, %s, %s, %s, %s, %s, %s) RETURNING id"
                ),
                (int(time.time()), source, user_id, username, RUNNING, *settled),
            ).fetchone()
            run_id = int(row[0])
            sql.many(
                conn,
                "INSERT INTO koito_import_run_files (run_id, position, path, size, sha256)"
                " VALUES (%s, %s, %s, %s, %s)",
                [(run_id, i, f.path, f.size, f.sha256) for i, f in enumerate(files)],
            )
        return run_id

    def record_batch(
        self, conn: Any, run_id: int, written: Written, listens: int, read: int, skipped: int
    ) -> None:
        """Inside the batch's transaction: its new listens and entities, and the run's counts
        (`listens`: how many the batch held, so the rest were duplicates)."""
        sql = self.sql
        if sql.pg:  # one row of arrays per batch (and kind)
            if written.listens:
                tracks, times = zip(*written.listens, strict=True)
                conn.execute(
                    "INSERT INTO koito_import_run_listens (run_id, track_ids, listened_at)"
                    " VALUES (%s, %s::int[], %s::bigint[])",
                    (run_id, list(tracks), list(times)),
                )
            for kind, ids in self._created(written):
                conn.execute(
                    "INSERT INTO koito_import_run_entities (run_id, kind, entity_ids)"
                    " VALUES (%s, %s, %s::int[])",
                    (run_id, kind, ids),
                )
        else:
            sql.many(
                conn,
                "INSERT INTO koito_import_run_listens (run_id, track_id, listened_at)"
                " VALUES (%s, %s, %s)",
                [(run_id, t, s) for t, s in written.listens],
            )
            sql.many(
                conn,
                "INSERT INTO koito_import_run_entities (run_id, kind, entity_id)"
                " VALUES (%s, %s, %s)",
                [(run_id, kind, i) for kind, ids in self._created(written) for i in ids],
            )
        conn.execute(
            sql(
                "UPDATE koito_import_runs SET read_items = %s, skipped = %s,"
                " inserted = inserted + %s, duplicates = duplicates + %s,"
                " artists_created = artists_created + %s,"
                " releases_created = releases_created + %s,"
                " tracks_created = tracks_created + %s, batches = batches + 1,"
                f" finished_at = {sql.time} WHERE id = %s"
            ),
            (
                read,
                skipped,
                written.inserted,
                listens - written.inserted,
                len(written.artists),
                len(written.releases),
                len(written.tracks),
                int(time.time()),
                run_id,
            ),
        )

    @staticmethod
    def _created(written: Written) -> Iterator[tuple[str, list[int]]]:
        for kind, ids in (
            ("artist", written.artists),
            ("release", written.releases),
            ("track", written.tracks),
        ):
            if ids:
                yield kind, ids

    def finish(
        self, run_id: int, status: str, read: int, skipped: int, error: str | None = None
    ) -> None:
        sql = self.sql
        with self.transaction() as conn:
            conn.execute(
                sql(
                    f"UPDATE koito_import_runs SET status = %s, finished_at = {sql.time},"
                    " read_items = %s, skipped = %s, error = %s WHERE id = %s"
                ),
                (status, int(time.time()), read, skipped, error, run_id),
            )

    # -- reading runs --

    def runs(self, limit: int | None = None, run_id: int | None = None) -> list[Run]:
        """Newest first; one run when `run_id` is given."""
        sql = self.sql
        columns = (
            f"id, {sql.unix('started_at')}, {sql.unix('finished_at')}, source, username, status,"
            f" {', '.join(COUNTS)}, error, {sql.unix('undone_at')}"
        )
        where, params = ("WHERE id = %s", [run_id]) if run_id is not None else ("", [])
        if limit is not None:
            where, params = f"{where} ORDER BY id DESC LIMIT %s", [*params, limit]
        else:
            where += " ORDER BY id DESC"
        with self.transaction(readonly=True) as conn:
            found = [
                Run(*row)
                for row in conn.execute(
                    sql(f"SELECT {columns} FROM koito_import_runs {where}"), params
                ).fetchall()
            ]
            if found:
                by_id = {run.id: run for run in found}
                for rid, path, size, digest in conn.execute(
                    sql(
                        "SELECT run_id, path, size, sha256 FROM koito_import_run_files"
                        " WHERE run_id BETWEEN %s AND %s ORDER BY run_id, position"
                    ),
                    (min(by_id), max(by_id)),
                ).fetchall():
                    if rid in by_id:
                        by_id[rid].files.append(RunFile(path, size, digest))
        return found

    def run(self, run_id: int) -> Run | None:
        found = self.runs(run_id=run_id)
        return found[0] if found else None


Settled = tuple[int, int]  # (batches, listens) a re-import found present while reading


class RunRecorder:
    """One run's entries, as the pipeline writes it."""

    def __init__(self, ledger: Ledger, run_id: int) -> None:
        self.ledger = ledger
        self.run_id = run_id

    def batch(self, listens: int, read: int, skipped: int) -> WithinWrite:
        """What `Store.write` calls inside the batch's transaction."""

        def record(conn: Any, written: Written) -> None:
            self.ledger.record_batch(conn, self.run_id, written, listens, read, skipped)

        return record

    def finish(self, status: str, read: int, skipped: int, error: str | None = None) -> None:
        self.ledger.finish(self.run_id, status, read, skipped, error)

    def fail(self, read: int, skipped: int, exc: BaseException) -> None:
        """Best effort: when the database itself failed, this fails too, and the run stays
        `running` until the next command records it as interrupted."""
        with suppress(Exception):
            self.finish(FAILED, read, skipped, str(exc) or type(exc).__name__)


@contextmanager
def ledger_of(db: Database) -> Iterator[Ledger | None]:
    """The ledger of `db`; None when it has none (no import of this version wrote to it)."""
    if not schema.check_usable(db).has_ledger:
        yield None
        return
    store = open_store(db, workers=1)
    try:
        yield Ledger(store)
    finally:
        store.close()


def list_runs(db: Database, limit: int | None) -> list[Run]:
    """Newest first. A run still `running` while no import holds the lock was cut short by
    a crash: it is recorded, and shown, as interrupted."""
    with ledger_of(db) as ledger:
        if ledger is None:
            return []
        runs = ledger.runs(limit)
        if any(run.status == RUNNING for run in runs):
            try:
                with ledger.store.import_lock(0):
                    ledger.mark_interrupted()
            except LockHeld:
                return runs  # an import is running now
            for run in runs:
                if run.status == RUNNING:
                    run.status = INTERRUPTED
        return runs
