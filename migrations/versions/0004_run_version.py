"""the version of koito-import that wrote each run

`koito-import runs` shows which version of koito-import wrote a run, so a run can be traced to
the code that made it. Runs recorded before this revision keep no version (NULL).

Revision ID: 0004_run_version
Revises: 0003_ledger
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_run_version"
down_revision = "0003_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    columns = {c["name"] for c in sa.inspect(bind).get_columns("koito_import_runs")}
    if "version" not in columns:
        bind.exec_driver_sql("ALTER TABLE koito_import_runs ADD COLUMN version text")


def downgrade() -> None:
    bind = op.get_bind()
    bind.exec_driver_sql("ALTER TABLE koito_import_runs DROP COLUMN version")
