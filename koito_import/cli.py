"""The command line: one typer app, wiring the commands of koito_import.commands (which keep
start-up light: see there)."""

import sys
from typing import Annotated

import typer

from koito_import import __version__
from koito_import.commands import completion, db, inbox, ledger, report
from koito_import.commands.common import Exit, err
from koito_import.commands.imports import SOURCE_HELP, source_command

app = typer.Typer(
    help="Import listening history into Koito's database, fast and without duplicates.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
db_app = typer.Typer(
    help="Koito's schema: see where a database stands, or bring it up to date.",
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
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
app.command("completion")(completion.completion_command)


def _print_version(asked: bool) -> None:
    if asked:
        print(f"koito-import {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print koito-import's version and exit.",
        ),
    ] = False,
) -> None:
    """Import listening history into Koito's database, fast and without duplicates."""


def main() -> None:
    """The console script: a Ctrl-C even before the first batch exits 130, not a traceback."""
    try:
        app(prog_name="koito-import")
    except KeyboardInterrupt:
        err.print("koito-import: interrupted (Ctrl-C) before anything was written")
        sys.exit(int(Exit.INTERRUPTED))
