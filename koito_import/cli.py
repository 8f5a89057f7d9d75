"""The command line: one typer app, wiring the commands of koito_import.commands (which keep
start-up light: see there)."""

import sys

import typer

from koito_import.commands import db, inbox, ledger, report, sync
from koito_import.commands.common import Exit, err
from koito_import.commands.imports import SOURCE_HELP, source_command

app = typer.Typer(
    help="Import listening history into Koito's database, fast and without duplicates.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(
    help="Koito's schema: see where a database stands, or bring it up to date.",
    rich_markup_mode=None,
)
app.add_typer(db_app, name="db")

for _source in SOURCE_HELP:
    app.command(_source)(source_command(_source))
app.command("runs")(ledger.runs_command)
app.command("undo")(ledger.undo_command)
app.command("inbox")(inbox.inbox_command)
app.command("report")(report.report_command)
db_app.command("status")(db.status_command)
db_app.command("upgrade")(db.upgrade_command)
sync.register(app)


def main() -> None:
    """The console script: a Ctrl-C even before the first batch exits 130, not a traceback."""
    try:
        app(prog_name="koito-import")
    except KeyboardInterrupt:
        err.print("koito-import: interrupted (Ctrl-C) before anything was written")
        sys.exit(int(Exit.INTERRUPTED))
