"""Database back ends behind one interface (see base.Store): PostgreSQL (postgres, its rows in
postgres_rows, its SQL in sql_postgres) and SQLite (sqlite, sqlite_rows, sql_sqlite). They
may import core only."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from koito_import.core.dburl import Database
from koito_import.store.base import Store, StoreError


def open_store(db: Database, workers: int, rehearsal: bool = False) -> Store:
    """`rehearsal` (PostgreSQL): write nothing for good, see the store's docstring."""
    if db.kind == "postgresql":
        from koito_import.store.postgres import PostgresStore

        return PostgresStore(db, workers, rehearsal)
    from koito_import.store.sqlite import SqliteStore

    return SqliteStore(db)


@contextmanager
def sqlite_rehearsal_copy(db: Database) -> Iterator[Database]:
    """A private snapshot of a SQLite database, for a dry run to write into and throw away:
    Koito's own file is never locked for longer than the copy takes."""
    folder = Path(tempfile.mkdtemp(prefix="koito-import-dry-run-"))
    copy = Database("sqlite", str(folder / "koito.db"), shown_as=db.display())
    try:
        if db.path.exists():
            try:
                with (
                    closing(sqlite3.connect(db.path)) as source,
                    closing(sqlite3.connect(copy.path)) as target,
                ):
                    source.backup(target)
            except sqlite3.Error as exc:
                raise StoreError(f"{db.display()}: cannot copy it for the dry run: {exc}") from exc
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)
