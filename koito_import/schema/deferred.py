"""Koito's secondary indexes built once, after a bulk load, on a database this run created.

A cold import into a database koito-import has just created is the case pg_restore optimises:
loading rows into tables without their secondary indexes, then building each index once, costs
a fraction of keeping every index (above all the trigram GIN indexes on aliases) up to date row
by row. So when an import creates Koito's schema, the migrations record the statements that
finish it (the indexes no query of the import reads through, and Koito's goose version rows) in
PENDING_TABLE instead of running them, in the same transaction that creates the tables; the
import runs them at its end, in one transaction that also drops PENDING_TABLE.

Crash-safe by construction: the statements are durable from the moment the tables exist, and
every import, `db upgrade` (and `db status`, which reports them) finds them. Koito cannot start
unnoticed on such a database: without its goose rows, Koito's first migration tries to create
`artists` again and Koito stops with that error. Only a database the migrations create is ever
left pending: Koito's own databases are never touched this way.

Plain SQL on the back end's own driver, so finishing costs no Alembic or SQLAlchemy import.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from koito_import.core.dburl import Database
from koito_import.schema.connections import SchemaError, one_line

PENDING_TABLE = "koito_import_pending_schema"
# Set on the SQLAlchemy connection's `info` by schema.upgrade when the import asks for it.
DEFER_KEY = "koito_import.defer_indexes"
CREATE_PENDING = (
    f"CREATE TABLE IF NOT EXISTS {PENDING_TABLE}"
    " (position integer PRIMARY KEY, statement text NOT NULL)"
)
# The same advisory lock the migrations take: finishing never races an upgrade.
SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('koito_import.schema'))"


def deferring(bind: Any) -> bool:
    """Whether this migration run leaves the deferrable statements for the import's end."""
    return bool(bind.info.get(DEFER_KEY))


def run_or_defer(bind: Any, statements: list[str]) -> None:
    """Run `statements` now, or record them in PENDING_TABLE, in order, when deferring.
    They are recorded idempotent (IF NOT EXISTS; SQLite and PostgreSQL keep the definition
    without those words), so a start of Koito that failed halfway cannot trip them."""
    if not deferring(bind):
        for statement in statements:
            bind.exec_driver_sql(statement)
        return
    import sqlalchemy as sa

    bind.exec_driver_sql(CREATE_PENDING)
    record = sa.text(
        f"INSERT INTO {PENDING_TABLE} (position, statement)"
        f" SELECT coalesce(max(position), 0) + 1, :s FROM {PENDING_TABLE}"
    )
    for statement in statements:
        bind.execute(record, {"s": idempotent(statement)})


def idempotent(statement: str) -> str:
    text = statement.strip()
    for head in ("CREATE INDEX", "CREATE TABLE"):
        if text.startswith(head) and not text.startswith(f"{head} IF NOT EXISTS"):
            return text.replace(head, f"{head} IF NOT EXISTS", 1)
    return text


def goose_row(version: int) -> str:
    """A goose version row, inserted once whatever a failed start of Koito left."""
    return (
        "INSERT INTO goose_db_version (version_id, is_applied)"
        f" SELECT {version}, true WHERE NOT EXISTS"
        f" (SELECT 1 FROM goose_db_version WHERE version_id = {version})"
    )


def finish(db: Database) -> bool:
    """Run the pending statements and drop PENDING_TABLE, in one transaction; False when
    nothing was pending. Safe beside another finisher: the second finds nothing left."""
    if db.kind == "postgresql":
        import psycopg  # only for PostgreSQL: SQLite runs never load it

        errors: type[BaseException] = psycopg.Error
    else:
        errors = sqlite3.Error
    try:
        return _finish_postgres(db) if db.kind == "postgresql" else _finish_sqlite(db)
    except errors as exc:
        raise SchemaError(f"{db.display()}: building Koito's indexes: {one_line(exc)}") from None


PENDING_SQL = {
    "sqlite": f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{PENDING_TABLE}'",
    "postgresql": f"SELECT 1 FROM pg_tables WHERE schemaname = current_schema()"
    f" AND tablename = '{PENDING_TABLE}'",
}
STATEMENTS_SQL = f"SELECT statement FROM {PENDING_TABLE} ORDER BY position"


def _finish_sqlite(db: Database) -> bool:
    conn = sqlite3.connect(db.path, timeout=30, isolation_level=None)
    try:
        # Small: the import's own page cache is still held, and the sorts spill to temp files.
        conn.execute("PRAGMA cache_size = -8192")
        conn.execute("BEGIN IMMEDIATE")  # re-read under the write lock: one finisher wins
        if not conn.execute(PENDING_SQL["sqlite"]).fetchall():
            conn.execute("ROLLBACK")
            return False
        for (statement,) in conn.execute(STATEMENTS_SQL).fetchall():
            conn.execute(statement)
        conn.execute(f"DROP TABLE {PENDING_TABLE}")
        conn.execute("COMMIT")
        return True
    finally:
        conn.close()  # an open transaction is rolled back


def _finish_postgres(db: Database) -> bool:
    import psycopg

    with psycopg.connect(db.url, connect_timeout=10) as conn:
        conn.execute(SCHEMA_LOCK)
        if not conn.execute(PENDING_SQL["postgresql"]).fetchall():
            return False
        # GIN builds sort in memory up to this; the default 64 MB spills on large libraries.
        conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for (statement,) in conn.execute(STATEMENTS_SQL).fetchall():
            conn.execute(statement)
        conn.execute(f"DROP TABLE {PENDING_TABLE}")
    return True  # the with block committed
