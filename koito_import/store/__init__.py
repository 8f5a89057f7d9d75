"""Database back ends behind one interface (see base.Store)."""

from __future__ import annotations

from koito_import.dburl import Database
from koito_import.store.base import Store


def open_store(db: Database, workers: int) -> Store:
    if db.kind == "postgresql":
        from koito_import.store.postgres import PostgresStore

        return PostgresStore(db, workers)
    from koito_import.store.sqlite import SqliteStore

    return SqliteStore(db)
