"""The ledger's commands: `runs` lists the runs that wrote, `undo` takes one back."""

from typing import Annotated

import typer
from rich.console import Console

from koito_import.commands.common import Exit, classify, database_failures, fail, json_line, out
from koito_import.commands.options import DbOpt
from koito_import.core.dburl import choose_database
from koito_import.ledger.listing import list_runs
from koito_import.ledger.undo import MAX_RUN_ID, UndoProblem, undo_run
from koito_import.ledger.view import runs_table, undo_table, when


def runs_command(
    db: DbOpt = None,
    limit: Annotated[
        int, typer.Option(min=0, metavar="N", help="Show this many runs (0: all).")
    ] = 20,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON list on stdout.")] = False,
) -> None:
    """The runs that wrote to the database, newest first: what each read, inserted, created."""
    if limit > MAX_RUN_ID:  # no database could bind it; click's range error spans lines
        fail(Exit.USAGE, f"--limit {limit} is more runs than a database can hold; 0 shows all")
    with database_failures():
        database = choose_database(db)
        runs = list_runs(database, limit or None)
    if json:
        json_line([run.as_json() for run in runs])
    elif not runs:
        out.print(f"No runs recorded in {database.display()} yet.")
    else:
        # Not on a terminal (a cron log), the table takes the width it needs.
        wide = out if out.is_terminal else Console(highlight=False, width=160)
        wide.print(runs_table(runs, database.display(), wide.width))


def undo_command(
    run_id: Annotated[
        int,
        typer.Argument(metavar="RUN_ID", help="The run to take back (see `koito-import runs`)."),
    ],
    db: DbOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be removed, change nothing.")
    ] = False,
    wait: Annotated[
        float, typer.Option(metavar="SECONDS", help="How long to wait for an import's lock.")
    ] = 10.0,
    json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Take a run back: its listens, and the entities it created that nothing uses any more."""
    try:
        result = undo_run(choose_database(db), run_id, dry_run, wait)
    except UndoProblem as exc:
        fail(Exit.USAGE, str(exc))
    except (Exception, KeyboardInterrupt) as exc:
        fail(*classify(exc, debug=False))
    if json:
        json_line(result.as_json())
    elif result.already:
        out.print(
            f"Run {run_id} was undone already ({when(result.run.undone_at)} UTC): nothing to do."
        )
    else:
        out.print(undo_table(result))
