"""track_lookup

The lookup cache: one row per scrobble key, pointing at the artist, release and track it
resolved to. The cascades drop stale rows when Koito merges or deletes entities.

A Koito fork creates exactly this table in its goose migration 000006; when the table exists
already it is reused untouched. On PostgreSQL, when this revision creates the table itself, it
records goose version 6 so that fork skips its 000006 instead of failing on an existing table.

Revision ID: 0002_track_lookup
Revises: 0001_koito_base_schema
Create Date: 2025-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from koito_import.schema import deferred

revision = "0002_track_lookup"
down_revision = "0001_koito_base_schema"
branch_labels = None
depends_on = None

FORK_GOOSE_VERSION = 6

TABLE = {
    "postgresql": """
        CREATE TABLE track_lookup (
            lookup_key TEXT NOT NULL PRIMARY KEY,
            artist_id INT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
            album_id INT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
            track_id INT NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
            created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
        )""",
    # Koito's SQLite schema stores times as unix seconds; strftime works on every SQLite.
    "sqlite": """
        CREATE TABLE track_lookup (
            lookup_key TEXT NOT NULL PRIMARY KEY,
            artist_id INTEGER NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
            album_id INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
            track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
            created_at INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
        )""",
}

# The fork's index names, so both ways of creating the table give the same database.
INDEXES = [
    "CREATE INDEX idx_track_lookup_track_id ON track_lookup(track_id)",
    "CREATE INDEX idx_track_lookup_artist_id ON track_lookup(artist_id)",
    "CREATE INDEX idx_track_lookup_album_id ON track_lookup(album_id)",
]


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if inspector.has_table("track_lookup"):
        return  # the fork's (or an earlier run's) table: reuse it as it is
    kind = bind.dialect.name
    bind.exec_driver_sql(TABLE[kind])
    # No import reads the lookup rows by these ids: deferred with Koito's (see 0001).
    finish = list(INDEXES)
    # When 0001 deferred the goose rows, the table is not there yet: version 6 follows them.
    goose_pending = deferred.deferring(bind) and not inspector.has_table("goose_db_version")
    if kind == "postgresql" and (goose_pending or inspector.has_table("goose_db_version")):
        finish.append(deferred.goose_row(FORK_GOOSE_VERSION))
    deferred.run_or_defer(bind, finish)


def downgrade() -> None:
    # The table is a cache: dropping it loses nothing koito-import cannot rebuild.
    bind = op.get_bind()
    bind.exec_driver_sql("DROP TABLE IF EXISTS track_lookup")
    if bind.dialect.name == "postgresql" and sa.inspect(bind).has_table("goose_db_version"):
        bind.execute(
            sa.text("DELETE FROM goose_db_version WHERE version_id = :v"),
            {"v": FORK_GOOSE_VERSION},
        )
