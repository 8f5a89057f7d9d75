"""`koito-import report`: what the database holds, as charts or as JSON."""

from typing import Annotated

import typer

from koito_import.commands.common import Exit, database_failures, fail, json_line, out
from koito_import.commands.options import DbOpt
from koito_import.core.dburl import choose_database
from koito_import.core.times import check_window, parse_bound


def report_command(
    db: DbOpt = None,
    user: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", help="Only this Koito user's listens (default: every user's)."
        ),
    ] = None,
    top: Annotated[
        int,
        typer.Option(
            min=1, max=1000, metavar="N", help="How many artists, albums and tracks to list."
        ),
    ] = 10,
    since: Annotated[
        str | None,
        typer.Option(
            metavar="TIME", help="Only listens from this moment (unix seconds or ISO date)."
        ),
    ] = None,
    until: Annotated[
        str | None, typer.Option(metavar="TIME", help="Only listens up to this moment.")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """What the database holds: listens per year, top artists, albums and tracks, clients."""
    from koito_import.report.charts import render_report
    from koito_import.report.queries import build_report

    try:
        window = parse_bound(since, "--since"), parse_bound(until, "--until")
        check_window(*window, names="--since/--until")
    except ValueError as exc:
        fail(Exit.USAGE, str(exc))
    with database_failures():
        database = choose_database(db)
        found = build_report(database, user=user, top=top, since=window[0], until=window[1])
    if json:
        json_line(found.as_json())
    else:
        render_report(found, out)
