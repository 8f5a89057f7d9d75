"""Bringing a database to "ready": Koito's schema on an empty one, koito-import's tables on
Koito's, by the Alembic scripts in migrations/ (Alembic and SQLAlchemy load only here)."""

from __future__ import annotations

from typing import Any

from koito_import.core.dburl import Database
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


def upgrade(db: Database) -> list[str]:
    """Bring the database to "ready"; return what was done, for the user."""
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
            return ["nothing to do"]
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


def ensure_ready(db: Database) -> list[str]:
    """What an import calls before writing: [] when the database is ready already."""
    current = status(db)
    refuse_unusable(current)
    if current.current:
        return []
    return upgrade(db)


def _actions(before: SchemaStatus, after: SchemaStatus, kind: str) -> list[str]:
    actions = []
    if before.state in ("missing", "empty"):
        actions.append(f"created Koito's schema (goose versions 0-{BASE_GOOSE[kind]} recorded)")
    if not before.has_lookup:
        goose6 = kind == "postgresql" and (after.goose_version or 0) > (before.goose_version or 0)
        actions.append("created track_lookup" + (" (goose version 6 recorded)" if goose6 else ""))
    elif before.revision is None:
        actions.append("reused the existing track_lookup")
    if not before.has_ledger:
        actions.append("created the ledger of runs (koito_import_runs and its tables)")
    actions.append(f"recorded koito-import revision {after.revision}")
    return actions
