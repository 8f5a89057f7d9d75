"""Recording one run as the pipeline writes it: its start, each batch inside the batch's own
transaction, and its end. The caller holds the import lock throughout."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

from koito_import import __version__
from koito_import.ledger.listing import Ledger
from koito_import.ledger.runs import FAILED, RUNNING, RunFile
from koito_import.sources import expand_inputs
from koito_import.store.base import WithinWrite, Written

Settled = tuple[int, int]  # (batches, listens) a re-import found present while reading


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


class RunRecorder:
    """One run's entries in the ledger."""

    def __init__(self, ledger: Ledger, run_id: int) -> None:
        self.ledger = ledger
        self.sql = ledger.sql
        self.run_id = run_id

    @classmethod
    def begin(
        cls,
        ledger: Ledger,
        source: str,
        user_id: int,
        username: str,
        files: list[RunFile],
        settled: Settled,
    ) -> RunRecorder:
        """A new run; `settled`: the batches and listens the check pass found in the database
        already."""
        ledger.mark_interrupted()
        sql = ledger.sql
        with ledger.transaction() as conn:
            row = conn.execute(
                sql(
                    "INSERT INTO koito_import_runs"
                    " (started_at, source, user_id, username, status, batches, duplicates,"
                    " version)"
                    f" VALUES ({sql.time}, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
                ),
                (int(time.time()), source, user_id, username, RUNNING, *settled, __version__),
            ).fetchone()
            run_id = int(row[0])
            sql.many(
                conn,
                "INSERT INTO koito_import_run_files (run_id, position, path, size, sha256)"
                " VALUES (%s, %s, %s, %s, %s)",
                [(run_id, i, f.path, f.size, f.sha256) for i, f in enumerate(files)],
            )
        return cls(ledger, run_id)

    def batch(self, listens: int, read: int, skipped: int) -> WithinWrite:
        """What `Store.write` calls inside the batch's transaction (`listens`: how many the
        batch held, so the rest were duplicates)."""

        def record(conn: Any, written: Written) -> None:
            self._created_rows(conn, written)
            self._add_counts(conn, written, listens, read, skipped)

        return record

    def _created_rows(self, conn: Any, written: Written) -> None:
        """The batch's new listens and entities."""
        sql, run_id = self.sql, self.run_id
        if sql.pg:  # one row of arrays per batch (and kind)
            if written.listens:
                tracks, times = zip(*written.listens, strict=True)
                conn.execute(
                    "INSERT INTO koito_import_run_listens (run_id, track_ids, listened_at)"
                    " VALUES (%s, %s::int[], %s::bigint[])",
                    (run_id, list(tracks), list(times)),
                )
            for kind, ids in _created(written):
                conn.execute(
                    "INSERT INTO koito_import_run_entities (run_id, kind, entity_ids)"
                    " VALUES (%s, %s, %s::int[])",
                    (run_id, kind, ids),
                )
            return
        sql.many(
            conn,
            "INSERT INTO koito_import_run_listens (run_id, track_id, listened_at)"
            " VALUES (%s, %s, %s)",
            [(run_id, t, s) for t, s in written.listens],
        )
        sql.many(
            conn,
            "INSERT INTO koito_import_run_entities (run_id, kind, entity_id) VALUES (%s, %s, %s)",
            [(run_id, kind, i) for kind, ids in _created(written) for i in ids],
        )

    def _add_counts(
        self, conn: Any, written: Written, listens: int, read: int, skipped: int
    ) -> None:
        sql = self.sql
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
                self.run_id,
            ),
        )

    def finish(self, status: str, read: int, skipped: int, error: str | None = None) -> None:
        sql = self.sql
        with self.ledger.transaction() as conn:
            conn.execute(
                sql(
                    f"UPDATE koito_import_runs SET status = %s, finished_at = {sql.time},"
                    " read_items = %s, skipped = %s, error = %s WHERE id = %s"
                ),
                (status, int(time.time()), read, skipped, error, self.run_id),
            )

    def fail(self, read: int, skipped: int, exc: BaseException) -> None:
        """Best effort: when the database itself failed, this fails too, and the run stays
        `running` until the next command records it as interrupted."""
        with suppress(Exception):
            self.finish(FAILED, read, skipped, str(exc) or type(exc).__name__)


def _created(written: Written) -> Iterator[tuple[str, list[int]]]:
    for kind, ids in (
        ("artist", written.artists),
        ("release", written.releases),
        ("track", written.tracks),
    ):
        if ids:
            yield kind, ids
