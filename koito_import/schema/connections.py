"""Connections for looking at and upgrading a schema: read-only plain SQL on the back end's
own driver, and one SQLAlchemy transaction for Alembic; every error becomes one line."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from koito_import.core.dburl import Database
from koito_import.core.files import check_access, own_like
from koito_import.store.base import StoreError

if TYPE_CHECKING:
    import sqlalchemy as sa

Query = Callable[[str], list[Any]]


class SchemaError(StoreError):
    """The database cannot be used as it is; the message says how to fix it."""


def prepare_sqlite_file(db: Database) -> None:
    """Create the file if needed and switch it to WAL, which Koito expects and uses."""
    # journal_mode cannot change inside a transaction, so not through the engine.
    check_access(db.path, db.display(), write=True)
    new = not db.path.exists()
    try:
        raw = sqlite3.connect(db.path, timeout=30)
        try:
            if new:  # root creating Koito's database in Koito's folder: Koito's user owns it
                own_like(db.path, db.path.parent)
            _switch_to_wal(raw)
        finally:
            raw.close()
    except sqlite3.Error as exc:
        raise SchemaError(f"{db.display()}: {one_line(exc)}") from None


def _switch_to_wal(conn: sqlite3.Connection, wait_s: float = 30.0) -> None:
    """SQLite answers "locked" at once, without its busy timeout, when another connection
    (a second import creating the same file) holds it while the mode changes: so wait here."""
    deadline = time.monotonic() + wait_s
    while conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


@contextmanager
def look(db: Database) -> Iterator[Query]:
    """Read-only queries in one transaction on the back end's own driver; errors become one
    line naming the database."""
    if db.kind == "postgresql":
        import psycopg

        try:
            with psycopg.connect(db.url, connect_timeout=10) as conn:
                yield lambda sql: conn.execute(sql).fetchall()
                conn.rollback()
        except psycopg.Error as exc:
            raise SchemaError(f"{db.display()}: {one_line(exc)}") from None
        return
    try:
        conn = sqlite3.connect(db.path, timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN")
            yield lambda sql: conn.execute(sql).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise SchemaError(f"{db.display()}: {one_line(exc)}") from None


@contextmanager
def connect(db: Database, *, write: bool) -> Iterator[sa.Connection]:
    """One SQLAlchemy connection in one transaction, committed on success (for Alembic);
    errors become one line."""
    import sqlalchemy as sa

    engine = _engine(db, write=write)
    try:
        with engine.begin() as conn:
            yield conn
    except sa.exc.DBAPIError as exc:
        raise SchemaError(f"{db.display()}: {one_line(exc.orig)}") from None
    finally:
        engine.dispose()


def one_line(exc: BaseException) -> str:
    """The whole message on one line: Alembic's and the drivers' messages span several."""
    return " ".join(str(exc).split()) or type(exc).__name__


def _engine(db: Database, *, write: bool) -> sa.Engine:
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    if db.kind == "postgresql":
        return sa.create_engine(
            db.sqlalchemy_url, poolclass=NullPool, connect_args={"connect_timeout": 10}
        )
    # Wait for a running Koito's write transactions instead of failing at once.
    engine = sa.create_engine(db.sqlalchemy_url, poolclass=NullPool, connect_args={"timeout": 30})
    begin = "BEGIN IMMEDIATE" if write else "BEGIN"

    # The sqlite3 module would commit before DDL; drive transactions ourselves so that the
    # whole upgrade is atomic (SQLAlchemy's documented pysqlite recipe).
    @sa.event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql(begin)

    return engine
