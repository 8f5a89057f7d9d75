"""Alembic environment for both back ends (PostgreSQL and SQLite).

koito_import.schema.upgrade runs the migrations programmatically and hands over an open connection
(inside a transaction it already holds) in `config.attributes["connection"]`. Running Alembic by
hand also works: pass the database with `-x url=postgresql+psycopg://...` or `sqlite:///...`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from koito_import.schema.status import VERSION_TABLE


def _migrate(connection: Connection) -> None:
    # Our own version table name, so it can never collide with Koito's goose_db_version.
    context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE)
    # A no-op when the caller already opened the transaction: all revisions commit together.
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("pass the database as: alembic -x url=<sqlalchemy url> upgrade head")
    with create_engine(url).connect() as conn:
        _migrate(conn)
        conn.commit()


if context.is_offline_mode():
    raise SystemExit("koito-import's migrations inspect the database; offline mode is unsupported")
run()
