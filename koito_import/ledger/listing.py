"""The ledger of one database: its runs, read back, and runs a crash left `running`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from koito_import import schema
from koito_import.core.dburl import Database
from koito_import.ledger.runs import COUNTS, INTERRUPTED, RUNNING, Run, RunFile
from koito_import.ledger.sql import Sql
from koito_import.store import open_store
from koito_import.store.base import LockHeld, Store

VERSIONED_SINCE = "0004_run_version"  # the revision that adds koito_import_runs.version


class Ledger:
    """The ledger of one database, through a store's connection (and its import lock)."""

    def __init__(self, store: Store, versioned: bool = True) -> None:
        self.store = store
        self.sql = Sql(store.kind)
        # koito_import_runs.version exists (revision 0004 on): `runs` on a database an older
        # koito-import upgraded, and no import since, still lists its runs.
        self.versioned = versioned

    def transaction(self, readonly: bool = False) -> AbstractContextManager[Any]:
        return self.store.transaction(readonly)

    def mark_interrupted(self) -> None:
        """Runs still `running` died without a word (kill -9, power loss): with the import
        lock held, none of them is still going."""
        with self.transaction() as conn:
            conn.execute(
                self.sql("UPDATE koito_import_runs SET status = %s WHERE status = %s"),
                (INTERRUPTED, RUNNING),
            )

    def runs(self, limit: int | None = None, run_id: int | None = None) -> list[Run]:
        """Newest first; one run when `run_id` is given."""
        sql = self.sql
        columns = (
            f"id, {sql.unix('started_at')}, {sql.unix('finished_at')}, source, username, status,"
            f" {', '.join(COUNTS)}, error, {sql.unix('undone_at')},"
            f" {'version' if self.versioned else 'NULL'}"
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


@contextmanager
def ledger_of(db: Database) -> Iterator[Ledger | None]:
    """The ledger of `db`; None when it has none (no import of this version wrote to it).
    A SQLite file that is not there is an error (a mistyped --db), not an empty ledger."""
    current = schema.check_usable(db)
    if current.state == "missing":
        raise schema.SchemaError(f"{db.display()} does not exist{schema.absolute_hint(db)}")
    if not current.has_ledger:
        yield None
        return
    revisions = schema.revisions()
    versioned = current.revision in revisions[revisions.index(VERSIONED_SINCE) :]
    store = open_store(db, workers=1)
    try:
        yield Ledger(store, versioned)
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
