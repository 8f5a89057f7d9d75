"""Is the database Koito's, and does it have the lookup table (SPEC §2.3)? Fix it if not.

The migrations live in the top-level `migrations/` directory, shipped in the package as
`koito_import.migrations`. Every revision checks the real database before acting, so running
them on an existing Koito database creates only what is missing.

Looking is plain SQL on the back end's own driver: Alembic and SQLAlchemy (half a second of
imports) load only when a migration must actually run, and psycopg only for PostgreSQL.
It may import core and the store's errors.
"""

from koito_import.schema.connections import SchemaError
from koito_import.schema.deferred import finish as finish_indexes
from koito_import.schema.status import (
    LEDGER_TABLES,
    VERSION_TABLE,
    SchemaStatus,
    absolute_hint,
    check_usable,
    head,
    migrations_dir,
    refuse_to_create,
    revisions,
    status,
)
from koito_import.schema.upgrade import ensure_ready, preload, upgrade

__all__ = [
    "LEDGER_TABLES",
    "VERSION_TABLE",
    "SchemaError",
    "SchemaStatus",
    "absolute_hint",
    "check_usable",
    "ensure_ready",
    "finish_indexes",
    "head",
    "migrations_dir",
    "preload",
    "refuse_to_create",
    "revisions",
    "status",
    "upgrade",
]
