"""Is the database Koito's, and does it have the lookup table (SPEC §2.3)? Fix it if not.

The migrations live in the top-level `migrations/` directory, shipped in the package as
`koito_import.migrations`. Every revision checks the real database before acting, so running
them on an existing Koito database creates only what is missing.

Looking is plain SQL on the back end's own driver: Alembic and SQLAlchemy (half a second of
imports) load only when a migration must actually run, and psycopg only for PostgreSQL.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from koito_import.dburl import Database
from koito_import.store.base import StoreError

if TYPE_CHECKING:
    import sqlalchemy as sa

VERSION_TABLE = "koito_import_alembic_version"
KOITO_TABLES = frozenset(
    [
        "artists",
        "artist_aliases",
        "releases",
        "release_aliases",
        "artist_releases",
        "tracks",
        "track_aliases",
        "artist_tracks",
        "users",
        "api_keys",
        "sessions",
        "listens",
    ]
)
KOITO_VIEWS = frozenset({"artists_with_name", "releases_with_title", "tracks_with_title"})
LOOKUP_COLUMNS = frozenset({"lookup_key", "artist_id", "album_id", "track_id"})
# koito-import's ledger of runs (migration 0003; koito_import.ledger reads and writes it).
LEDGER_TABLES = frozenset(
    {
        "koito_import_runs",
        "koito_import_run_files",
        "koito_import_run_listens",
        "koito_import_run_entities",
    }
)
# Oldest goose version whose schema koito-import can write to (is_primary columns exist).
MIN_GOOSE = {"postgresql": 3, "sqlite": 1}
# The goose version revision 1 records: Koito's last migration on that back end.
BASE_GOOSE = {"postgresql": 5, "sqlite": 2}

State = Literal["missing", "empty", "koito", "ready", "foreign"]


class SchemaError(StoreError):
    """The database cannot be used as it is; the message says how to fix it."""


@dataclass(slots=True)
class SchemaStatus:
    database: str  # Database.display()
    state: State
    revision: str | None  # koito-import's Alembic revision, None when never recorded
    goose_version: int | None  # highest applied Koito (goose) migration
    has_lookup: bool
    problem: str | None = None  # why the database cannot be used, and what to do
    has_ledger: bool = False  # all of koito-import's ledger tables exist

    @property
    def current(self) -> bool:
        """Ready, with everything the newest revision creates: nothing to upgrade."""
        return self.state == "ready" and self.has_ledger and self.revision == head()

    def describe(self) -> str:
        goose = f"goose version {self.goose_version}" if self.goose_version is not None else ""
        what = {
            "missing": "does not exist yet",
            "empty": "is empty",
            "koito": f"is Koito's ({goose or 'no goose table'}) without track_lookup",
            "ready": f"is Koito's ({goose or 'no goose table'}) with track_lookup",
            "foreign": "cannot be used",
        }[self.state]
        advice = (
            self.problem
            or {
                "missing": "`koito-import db upgrade` (or any import) creates it",
                "empty": "`koito-import db upgrade` (or any import) creates Koito's schema",
                "koito": "`koito-import db upgrade` (or any import) adds track_lookup",
                "ready": "ready for imports"
                if self.has_ledger
                else "`koito-import db upgrade` (or any import) adds the ledger of runs",
            }[self.state]
        )
        first = f"{self.database} {what} (koito-import revision: {self.revision or 'none'})."
        return f"{first}\n{advice[0].upper()}{advice[1:]}"


def migrations_dir() -> Path:
    """Inside the installed package, else the source checkout's top-level directory."""
    here = Path(__file__).resolve().parent
    installed = here / "migrations"
    return installed if (installed / "env.py").is_file() else here.parent / "migrations"


_REVISION_LINE = re.compile(r"""^(down_revision|revision) = (?:["']([^"']+)["']|None)$""", re.M)


@cache
def revisions() -> tuple[str, ...]:
    """koito-import's revisions, oldest first, read from the scripts' own `revision` and
    `down_revision` lines without importing Alembic (a test checks Alembic sees the same)."""
    child_of: dict[str | None, str] = {}
    for script in (migrations_dir() / "versions").glob("*.py"):
        fields = dict(_REVISION_LINE.findall(script.read_text()))
        if fields.get("revision"):
            child_of[fields.get("down_revision") or None] = fields["revision"]
    chain = [child_of[None]]
    while chain[-1] in child_of:
        chain.append(child_of[chain[-1]])
    return tuple(chain)


def head() -> str:
    return revisions()[-1]


def status(db: Database) -> SchemaStatus:
    if db.kind == "sqlite" and not db.path.exists():
        if not db.path.parent.is_dir():
            raise SchemaError(f"{db.display()}: directory {db.path.parent} does not exist")
        return SchemaStatus(db.display(), "missing", None, None, False)
    with _look(db) as query:
        return _inspect(query, db)


def upgrade(db: Database) -> list[str]:
    """Bring the database to "ready"; return what was done, for the user."""
    if db.kind == "sqlite":
        before = status(db)
        _refuse_unusable(before)
        _prepare_sqlite_file(db)
    from alembic import command
    from alembic.config import Config

    with _connect(db, write=True) as conn:
        if db.kind == "postgresql":
            # Two imports starting at once on an empty database must not both create it.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('koito_import.schema'))")

        def query(sql: str) -> list[Any]:
            return list(conn.exec_driver_sql(sql).fetchall())

        before = _inspect(query, db)  # inside the transaction that will do the work
        _refuse_unusable(before)
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
        after = _inspect(query, db)
    return _actions(before, after, db.kind)


def check_usable(db: Database) -> SchemaStatus:
    """Where the database stands, read-only; refuse one that is not (or cannot be) Koito's."""
    current = status(db)
    _refuse_unusable(current)
    return current


def ensure_ready(db: Database) -> list[str]:
    """What an import calls before writing: [] when the database is ready already."""
    current = status(db)
    _refuse_unusable(current)
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


def _refuse_unusable(current: SchemaStatus) -> None:
    if current.problem:
        raise SchemaError(f"{current.database}: {current.problem}")


Query = Callable[[str], list[Any]]

# The tables and views of the database's default schema (what SQLAlchemy's inspector lists).
TABLES_SQL = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
    " AND name NOT LIKE 'sqlite~_%' ESCAPE '~'",
    "postgresql": "SELECT c.relname FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v')",
}
LOOKUP_COLUMNS_SQL = {
    "sqlite": "SELECT name FROM pragma_table_info('track_lookup')",
    "postgresql": "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
    " AND c.relname = 'track_lookup' AND a.attnum > 0 AND NOT a.attisdropped",
}


def _inspect(query: Query, db: Database) -> SchemaStatus:
    tables = {row[0] for row in query(TABLES_SQL[db.kind])}
    revision = None
    if VERSION_TABLE in tables:
        recorded = query(f"SELECT version_num FROM {VERSION_TABLE}")
        revision = recorded[0][0] if recorded else None
    goose = None
    if "goose_db_version" in tables:
        goose = query("SELECT max(version_id) FROM goose_db_version WHERE is_applied")[0][0]
    has_lookup = "track_lookup" in tables
    status = SchemaStatus(
        db.display(), "empty", revision, goose, has_lookup, has_ledger=tables >= LEDGER_TABLES
    )
    others = tables - KOITO_TABLES - KOITO_VIEWS - LEDGER_TABLES - {VERSION_TABLE}
    if tables >= KOITO_TABLES:  # tables of forks or plugins beside Koito's are fine
        status.state = "ready" if has_lookup else "koito"
        status.problem = _koito_problem(query, status, db.kind)
    elif others or tables & KOITO_TABLES:
        status.state = "foreign"
        status.problem = _foreign_problem(tables, others)
    if revision is not None and revision not in revisions():
        status.problem = (
            f"it was upgraded by a newer koito-import (revision {revision}):"
            " install that version of koito-import"
        )
    return status


def _foreign_problem(tables: set[str], others: set[str]) -> str:
    if tables & KOITO_TABLES:
        missing = ", ".join(sorted(KOITO_TABLES - tables))
        return (
            f"it has only part of Koito's schema (missing: {missing}); start Koito once on it"
            " so it finishes its migrations, or point --db at an empty database"
        )
    found = ", ".join(sorted(others)[:5])
    return (
        f"it is not Koito's database (it has {found}); point --db at Koito's database"
        " or at an empty one"
    )


def _koito_problem(query: Query, status: SchemaStatus, kind: str) -> str | None:
    if status.goose_version is not None and status.goose_version < MIN_GOOSE[kind]:
        return (
            f"Koito's schema is too old (goose version {status.goose_version});"
            " start a current Koito once so it upgrades its database, then retry"
        )
    if status.has_lookup:
        columns = {row[0] for row in query(LOOKUP_COLUMNS_SQL[kind])}
        if not columns >= LOOKUP_COLUMNS:
            return (
                "it has a track_lookup table koito-import did not create (columns: "
                f"{', '.join(sorted(columns))}); rename or drop it, then retry"
            )
    return None


def _prepare_sqlite_file(db: Database) -> None:
    """Create the file if needed and switch it to WAL, which Koito expects and uses."""
    # journal_mode cannot change inside a transaction, so not through the engine.
    try:
        raw = sqlite3.connect(db.path, timeout=30)
        try:
            _switch_to_wal(raw)
        finally:
            raw.close()
    except sqlite3.Error as exc:
        raise SchemaError(f"{db.display()}: {_one_line(exc)}") from None


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
def _look(db: Database) -> Iterator[Query]:
    """Read-only queries in one transaction on the back end's own driver; errors become one
    line naming the database."""
    if db.kind == "postgresql":
        import psycopg

        try:
            with psycopg.connect(db.url, connect_timeout=10) as conn:
                yield lambda sql: conn.execute(sql).fetchall()
                conn.rollback()
        except psycopg.Error as exc:
            raise SchemaError(f"{db.display()}: {_one_line(exc)}") from None
        return
    try:
        conn = sqlite3.connect(db.path, timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN")
            yield lambda sql: conn.execute(sql).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise SchemaError(f"{db.display()}: {_one_line(exc)}") from None


@contextmanager
def _connect(db: Database, *, write: bool) -> Iterator[sa.Connection]:
    """One SQLAlchemy connection in one transaction, committed on success (for Alembic);
    errors become one line."""
    import sqlalchemy as sa

    engine = _engine(db, write=write)
    try:
        with engine.begin() as conn:
            yield conn
    except sa.exc.DBAPIError as exc:
        raise SchemaError(f"{db.display()}: {_one_line(exc.orig)}") from None
    finally:
        engine.dispose()


def _one_line(exc: BaseException) -> str:
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
