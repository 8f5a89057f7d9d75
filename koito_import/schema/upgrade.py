"""Bringing a database to "ready": Koito's schema on an empty one, koito-import's tables on
Koito's, by the Alembic scripts in migrations/ (Alembic and SQLAlchemy load only here)."""

from __future__ import annotations

from typing import Any

from koito_import.core.dburl import Database
from koito_import.schema import deferred
from koito_import.schema.connections import connect, prepare_sqlite_file
from koito_import.schema.status import (
    BASE_GOOSE,
    VERSION_TABLE,
    SchemaStatus,
    inspect,
    migrations_dir,
    refuse_unusable,
    status,
)


def upgrade(db: Database, defer_indexes: bool = False) -> list[str]:
    """Bring the database to "ready"; return what was done, for the user. With
    `defer_indexes` (an import about to load), a database created here is left with Koito's
    secondary indexes and goose rows pending, for `deferred.finish` after the load; otherwise
    whatever an earlier run left pending is finished here."""
    actions = _migrate(db, defer_indexes)
    if not defer_indexes and deferred.finish(db):
        actions = [a for a in actions if a != NOTHING] + [FINISHED]
    return actions


NOTHING = "nothing to do"
FINISHED = "built Koito's indexes a stopped import had left to build"


def _migrate(db: Database, defer_indexes: bool) -> list[str]:
    if db.kind == "sqlite":
        before = status(db)
        refuse_unusable(before)
        prepare_sqlite_file(db)
    from alembic import command
    from alembic.config import Config

    with connect(db, write=True) as conn:
        if db.kind == "postgresql":
            # Two imports starting at once on an empty database must not both create it.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('koito_import.schema'))")

        def query(sql: str) -> list[Any]:
            return list(conn.exec_driver_sql(sql).fetchall())

        before = inspect(query, db)  # inside the transaction that will do the work
        refuse_unusable(before)
        if before.current:
            return [NOTHING]
        # Only on a database created right here: never on one Koito may already use.
        conn.info[deferred.DEFER_KEY] = defer_indexes and before.state in ("missing", "empty")
        if before.revision is not None and (before.state != "ready" or not before.has_ledger):
            # The recorded revision promises tables that are gone (someone dropped them):
            # forget it; every revision checks the database and creates only what is missing.
            conn.exec_driver_sql(f"DELETE FROM {VERSION_TABLE}")
        config = Config()
        config.set_main_option("script_location", str(migrations_dir()))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        after = inspect(query, db)
    return _actions(before, after, db.kind)


def ensure_ready(db: Database, defer_indexes: bool = False) -> list[str]:
    """What an import calls before writing: [] when the database is ready already."""
    current = status(db)
    refuse_unusable(current)
    if current.current:
        return []
    return upgrade(db, defer_indexes)


def _actions(before: SchemaStatus, after: SchemaStatus, kind: str) -> list[str]:
    actions = []
    goose = f"goose versions 0-{BASE_GOOSE[kind]}"
    if before.state in ("missing", "empty") and after.indexes_pending:
        actions.append(f"created Koito's schema ({goose} and its indexes follow the load)")
    elif before.state in ("missing", "empty"):
        actions.append(f"created Koito's schema ({goose} recorded)")
    if not before.has_lookup:
        goose6 = kind == "postgresql" and (after.goose_version or 0) > (before.goose_version or 0)
        actions.append("created track_lookup" + (" (goose version 6 recorded)" if goose6 else ""))
    elif before.revision is None:
        actions.append("reused the existing track_lookup")
    if not before.has_ledger:
        actions.append("created the ledger of runs (koito_import_runs and its tables)")
    actions.append(f"recorded koito-import revision {after.revision}")
    return actions


def preload(db: Database) -> None:
    """Import what a migration runs on (Alembic, SQLAlchemy and the driver's dialect: a
    quarter to half a second), without touching the database: an import does it while
    another process reads its input, before it creates the schema."""
    import alembic.command
    import alembic.operations
    import alembic.runtime.environment
    import alembic.runtime.migration
    import sqlalchemy

    dialect = "postgresql.psycopg" if db.kind == "postgresql" else "sqlite.pysqlite"
    __import__(f"sqlalchemy.dialects.{dialect}")
    del alembic, sqlalchemy  # imported for their side effect: loaded once, for the upgrade
