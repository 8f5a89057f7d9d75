"""Read-only access to a Koito database of either back end, for the report's queries
(koito_import.report.queries): one connection that never takes a write lock, so a report can run
beside a live Koito, and one-line errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from koito_import.core.dburl import Database, absolute_hint
from koito_import.core.files import check_access
from koito_import.core.summary import DAY_S
from koito_import.report.data import month_of
from koito_import.store.base import StoreError
from koito_import.store.shared import one_line

NEEDED = frozenset(
    {
        "listens",
        "tracks",
        "artist_tracks",
        "artist_releases",
        "users",
        "artist_aliases",
        "release_aliases",
        "track_aliases",
    }
)


class ReportError(StoreError):
    """The report cannot be made (no such database or user, not Koito's): one line."""


class Reader:
    """One read-only connection. SQL is written with %s placeholders (psycopg's); SQLite gets
    them as ?. `l.listened_at` is a timestamptz on PostgreSQL, unix seconds on SQLite."""

    month_sql: str  # what `month_key` makes "YYYY-MM" of

    def __init__(self, db: Database) -> None:
        self.db = db

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def moment(self, unix: int) -> Any:
        """A bound on l.listened_at, as the driver takes it."""
        return unix

    def unix(self, listened_at: Any) -> int:
        """The unix seconds of a listened_at the driver returned."""
        return int(listened_at)

    def month_key(self, value: Any) -> str:
        raise NotImplementedError

    def relations(self) -> set[str]:
        raise NotImplementedError

    def check_koito(self) -> None:
        found = self.relations()
        if not found & NEEDED:
            raise ReportError(
                f"{self.db.display()} has no Koito tables, so nothing to report"
                " (`koito-import db status` says what it is)"
            )
        if missing := NEEDED - found:
            raise ReportError(
                f"{self.db.display()} is not a whole Koito database (missing:"
                f" {', '.join(sorted(missing))}); `koito-import db status` says more"
            )

    def user(self, name: str) -> tuple[int, str]:
        """The user's id and name as Koito stores it (lower case), or a one-line error."""
        row = self.rows("SELECT id, username FROM users WHERE username = %s", [name.lower()])
        if row:
            return row[0][0], row[0][1]
        known = [r[0] for r in self.rows("SELECT username FROM users ORDER BY id LIMIT 6")]
        listed = ", ".join(known[:5]) + (", ..." if len(known) > 5 else "")
        users = f"its users: {listed}" if known else "it has no users yet"
        raise ReportError(f"no user {name!r} in {self.db.display()} ({users})")


class _SqliteReader(Reader):
    # The UTC day (floored for times before 1970): integer arithmetic is much cheaper than
    # strftime on every row, and a few thousand days make months in Python.
    month_sql = "l.listened_at / 86400 - (l.listened_at % 86400 < 0)"

    def month_key(self, value: Any) -> str:
        return month_of(value * DAY_S)

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        check_access(db.path, db.display(), write=False)
        if not db.path.is_file():
            raise ReportError(f"{db.display()} does not exist{absolute_hint(db)}")
        try:
            # Only reads: a report never takes a write lock on the file Koito is serving from.
            # Not opened mode=ro, though: a read-only connection cannot remove the -wal and
            # -shm files it makes beside the database, which would stay there after every
            # report; query_only refuses writes just the same.
            self.conn = sqlite3.connect(f"{db.path.resolve().as_uri()}?mode=rw", uri=True)
            self.conn.execute("PRAGMA query_only = ON")
            self.conn.execute("PRAGMA busy_timeout = 5000")
        except sqlite3.Error as exc:
            raise ReportError(f"{db.display()}: {exc}") from None

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.conn.execute(sql.replace("%s", "?"), list(params)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise ReportError(f"{self.db.display()}: {exc}") from None

    def relations(self) -> set[str]:
        return {r[0] for r in self.rows("SELECT name FROM sqlite_master")}

    def close(self) -> None:
        self.conn.close()


class _PostgresReader(Reader):
    month_sql = "date_trunc('month', l.listened_at AT TIME ZONE 'UTC')"

    def month_key(self, value: Any) -> str:
        return value.strftime("%Y-%m")

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        import psycopg

        self.errors = psycopg.Error
        try:
            self.conn = psycopg.connect(db.url, connect_timeout=10)
            self.conn.read_only = True
        except psycopg.Error as exc:
            raise ReportError(f"cannot connect to {db.display()}: {one_line(exc)}") from None

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.conn.execute(sql, list(params)).fetchall()  # type: ignore[arg-type]
        except self.errors as exc:
            raise ReportError(f"{self.db.display()}: {one_line(exc)}") from None

    def moment(self, unix: int) -> Any:
        return datetime.fromtimestamp(unix, UTC)

    def unix(self, listened_at: Any) -> int:
        return int(listened_at.timestamp())

    def relations(self) -> set[str]:
        sql = (
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = ANY (current_schemas(false))"
        )
        return {r[0] for r in self.rows(sql)}

    def close(self) -> None:
        self.conn.close()


@contextmanager
def koito_reader(db: Database) -> Iterator[Reader]:
    """A read-only connection to `db`, once it is known to be Koito's (else ReportError)."""
    reader: _SqliteReader | _PostgresReader = (
        _PostgresReader(db) if db.kind == "postgresql" else _SqliteReader(db)
    )
    try:
        reader.check_koito()
        yield reader
    finally:
        reader.close()
