"""`koito-import db status` and `db upgrade`: where a database's schema stands."""

import typer
from rich.markup import escape

from koito_import import schema
from koito_import.commands.common import Exit, database_failures, out
from koito_import.commands.options import DbOpt
from koito_import.core.dburl import choose_database


def status_command(db: DbOpt = None) -> None:
    """Say whether the database is Koito's and ready for imports; exit 4 when it is not
    Koito's (missing, empty, someone else's) or cannot be used, so that scripts can check."""
    with database_failures():
        database = choose_database(db)
        found = schema.status(database)
    out.print(escape(found.describe()), soft_wrap=True)
    if found.problem or found.state not in ("koito", "ready"):
        raise typer.Exit(int(Exit.DATABASE))


def upgrade_command(db: DbOpt = None) -> None:
    """Create Koito's schema on an empty database, or add what koito-import needs."""
    with database_failures():
        database = choose_database(db)
        for action in schema.upgrade(database):
            out.print(escape(f"{database.display()}: {action}"), soft_wrap=True)
