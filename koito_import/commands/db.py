"""`koito-import db status` and `db upgrade`: where a database's schema stands."""

from rich.markup import escape

from koito_import import schema
from koito_import.commands.common import Exit, fail, out
from koito_import.commands.options import DbOpt
from koito_import.dburl import DatabaseChoiceError, choose_database
from koito_import.store.base import StoreError


def status_command(db: DbOpt = None) -> None:
    """Say whether the database is Koito's and ready for imports."""
    try:
        database = choose_database(db)
        out.print(escape(schema.status(database).describe()), soft_wrap=True)
    except (StoreError, DatabaseChoiceError) as exc:
        fail(Exit.DATABASE, str(exc))


def upgrade_command(db: DbOpt = None) -> None:
    """Create Koito's schema on an empty database, or add what koito-import needs."""
    try:
        database = choose_database(db)
        for action in schema.upgrade(database):
            out.print(escape(f"{database.display()}: {action}"), soft_wrap=True)
    except (StoreError, DatabaseChoiceError) as exc:
        fail(Exit.DATABASE, str(exc))
