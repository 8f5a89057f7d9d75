"""The command line: one typer app, wiring the commands of koito_import.commands (which keep
start-up light: see there)."""

import sys
from collections.abc import Callable
from typing import Annotated

import typer

from koito_import import __version__
from koito_import.commands import completion, db, inbox, ledger, report, sync
from koito_import.commands.common import Exit, err
from koito_import.commands.helptext import CONTEXT, SHORT_HELP, Command
from koito_import.commands.imports import SOURCE_HELP, source_command

app = typer.Typer(
    help="Import listening history into Koito's database, fast and without duplicates.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT,
)
db_app = typer.Typer(
    help="Koito's schema: see where a database stands, or bring it up to date.",
    rich_markup_mode=None,
    context_settings=CONTEXT,
)
app.add_typer(db_app, name="db", short_help=SHORT_HELP["db"])


def _command(typer_app: typer.Typer, name: str, function: Callable[..., None]) -> None:
    typer_app.command(name, cls=Command, short_help=SHORT_HELP[name])(function)


for _source in SOURCE_HELP:
    _command(app, _source, source_command(_source))
_command(app, "runs", ledger.runs_command)
_command(app, "undo", ledger.undo_command)
_command(app, "inbox", inbox.inbox_command)
_command(app, "report", report.report_command)
_command(db_app, "status", db.status_command)
_command(db_app, "upgrade", db.upgrade_command)
_command(app, "completion", completion.completion_command)
sync.register(app)


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
    _tolerant_output()
    try:
        app(prog_name="koito-import")
    except KeyboardInterrupt:
        err.print("koito-import: interrupted (Ctrl-C) before anything was written")
        sys.exit(int(Exit.INTERRUPTED))


def _tolerant_output() -> None:
    """On a terminal that cannot show a character (PYTHONIOENCODING=ascii, LANG=C), a name
    like "Björk" prints as "Bj?rk" instead of ending the command with UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if not encoding.startswith("utf") and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
