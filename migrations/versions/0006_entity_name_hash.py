"""SQLite: a digest of each created entity's name beside the ledger's claim on it

SQLite gives a new row the highest id plus one, so once Koito deletes (or merges away) the
entity with the highest id, the next entity anyone creates takes that id again, and a run's
ledger would claim it. The digest of the name the entity had when the run created it tells the
run's entity from a newcomer (koito_import.ledger.claims). PostgreSQL's sequences never give an
id twice: nothing to add there.

Revision ID: 0006_entity_name_hash
Revises: 0005_sync_ranges
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_entity_name_hash"
down_revision = "0005_sync_ranges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    columns = {c["name"] for c in sa.inspect(bind).get_columns("koito_import_run_entities")}
    if "name_hash" not in columns:
        bind.exec_driver_sql("ALTER TABLE koito_import_run_entities ADD COLUMN name_hash INTEGER")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("ALTER TABLE koito_import_run_entities DROP COLUMN name_hash")
