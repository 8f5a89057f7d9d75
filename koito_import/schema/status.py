"""Where a database stands: Koito's, ready for imports, empty, or someone else's; read with
plain SQL on the back end's own driver."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from koito_import.core.dburl import Database, absolute_hint
from koito_import.core.files import check_access
from koito_import.schema.connections import Query, SchemaError, look
from koito_import.schema.deferred import PENDING_TABLE

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
# koito-import's ledger of runs (migration 0003; koito_import.ledger.listing reads and writes it).
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


@dataclass(slots=True)
class SchemaStatus:
    database: str  # Database.display()
    state: State
    revision: str | None  # koito-import's Alembic revision, None when never recorded
    goose_version: int | None  # highest applied Koito (goose) migration
    has_lookup: bool
    problem: str | None = None  # why the database cannot be used, and what to do
    has_ledger: bool = False  # all of koito-import's ledger tables exist
    # Koito's indexes and goose rows still to build after a bulk load (schema.deferred).
    indexes_pending: bool = False

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
                "missing": "`koito-import db upgrade` (or an import with --create) creates it",
                "empty": "`koito-import db upgrade` (or an import with --create) creates"
                " Koito's schema",
                "koito": "`koito-import db upgrade` (or any import) adds track_lookup",
                "ready": "ready for imports"
                if self.has_ledger
                else "`koito-import db upgrade` (or any import) adds the ledger of runs",
            }[self.state]
        )
        if self.indexes_pending:
            what += ", its indexes not built yet (an import is loading it, or was stopped)"
            advice = (
                "`koito-import db upgrade` (or any import) builds them; until then Koito"
                " refuses to start on it"
            )
        first = f"{self.database} {what} (koito-import revision: {self.revision or 'none'})."
        return f"{first}\n{advice[0].upper()}{advice[1:]}"


def migrations_dir() -> Path:
    """Inside the installed package, else the source checkout's top-level directory."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "migrations"
    return installed if (installed / "env.py").is_file() else package.parent / "migrations"


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
    if db.kind == "sqlite":
        check_access(db.path, db.display(), write=False)
    if db.kind == "sqlite" and not db.path.exists():
        if not db.path.parent.is_dir():
            raise SchemaError(
                f"{db.display()}: directory {db.path.parent} does not exist{absolute_hint(db)}"
            )
        return SchemaStatus(db.display(), "missing", None, None, False)
    with look(db) as query:
        return inspect(query, db)


def check_usable(db: Database) -> SchemaStatus:
    """Where the database stands, read-only; refuse one that is not (or cannot be) Koito's."""
    current = status(db)
    refuse_unusable(current)
    return current


def refuse_unusable(current: SchemaStatus) -> None:
    if current.problem:
        raise SchemaError(f"{current.database}: {current.problem}")


def refuse_to_create(current: SchemaStatus, db: Database) -> None:
    """A missing file or an empty database is refused unless the user asked for a new one:
    a mistyped --db (even PostgreSQL's `postgres` maintenance database) must not quietly
    become a Koito database with the default password."""
    if current.state == "missing":
        raise SchemaError(
            f"{db.display()} does not exist{absolute_hint(db)}; to create a new Koito database"
            " there, add --create (or set KOITO_IMPORT_CREATE=1, or run `koito-import db"
            " upgrade` on it)"
        )
    if current.state == "empty":
        raise SchemaError(
            f"{db.display()} is empty, not Koito's; to create Koito's schema in it, add"
            " --create (or set KOITO_IMPORT_CREATE=1, or run `koito-import db upgrade` on it)"
        )


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


def inspect(query: Query, db: Database) -> SchemaStatus:
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
    status.indexes_pending = PENDING_TABLE in tables
    others = tables - KOITO_TABLES - KOITO_VIEWS - LEDGER_TABLES - {VERSION_TABLE, PENDING_TABLE}
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
