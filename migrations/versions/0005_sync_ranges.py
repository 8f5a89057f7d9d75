"""what each sync has fetched and committed

`koito-import sync` (SPEC §9) keeps, per service, server and account, the spans of time whose
listens it has fetched and committed: the next sync asks only for what lies outside them (minus
an overlap at the newest end), and a sync killed halfway resumes where its committed data ends.
A span is written in the same transaction as the batch it covers, so it never claims a listen
that is not in the database. Like the ledger, a table of koito-import's own: no foreign key into
Koito's tables, no goose row.

Revision ID: 0005_sync_ranges
Revises: 0004_run_version
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_sync_ranges"
down_revision = "0004_run_version"
branch_labels = None
depends_on = None

TABLE = "koito_import_sync_ranges"
# low and high: unix seconds, both included; the spans of one account never overlap or touch.
CREATE = f"""
    CREATE TABLE {TABLE} (
        service text NOT NULL,
        server text NOT NULL,
        account text NOT NULL,
        low bigint NOT NULL,
        high bigint NOT NULL,
        PRIMARY KEY (service, server, account, low)
    )"""


def upgrade() -> None:
    bind = op.get_bind()
    if TABLE not in set(sa.inspect(bind).get_table_names()):
        bind.exec_driver_sql(CREATE)


def downgrade() -> None:
    op.get_bind().exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
