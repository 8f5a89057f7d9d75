"""The command line: parse options, call the library, print what happened.

Start-up is part of every run (cron, `--help`): the readers, the pipeline and the database
drivers are imported inside the commands that use them, not here.
"""

import inspect
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import replace
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from koito_import import inbox, schema
from koito_import.catalog.artist_names import compile_separators
from koito_import.dburl import DatabaseChoiceError, choose_database
from koito_import.ledger import list_runs
from koito_import.pipeline import ImportOptions, StrictSkip, run_import
from koito_import.progress import PlainReporter, QuietReporter, RichReporter
from koito_import.runs_view import runs_table, undo_table, when
from koito_import.sources import group_by_source
from koito_import.sources.base import InputError, SourceOptions
from koito_import.store.base import LOOKUP_CHUNK, LockHeld, StoreError
from koito_import.summary import Summary
from koito_import.timeparse import parse_bound
from koito_import.undo import UndoProblem, undo_run


class Exit(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    BAD_INPUT = 3
    DATABASE = 4
    LOCKED = 5
    INTERRUPTED = 130


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

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

# One command per source (koito_import.sources.SOURCES, which a test keeps in step), plus auto.
SOURCE_HELP = {
    "maloja": "Maloja's export JSON (scrobbles or list form).",
    "spotify": "Spotify streaming history: Streaming_History_Audio_*.json, the export zip, or "
    "the older StreamingHistory*.json / endsong_*.json.",
    "lastfm": "Last.fm recent-tracks JSON export (pages) or CSV (artist,album,track,date).",
    "listenbrainz": "ListenBrainz export zip, .jsonl files, or the older JSON array.",
    "koito": "Koito's own export (version 1).",
    "auto": "Any of the formats above: the source is detected from each file.",
}

PathsArg = Annotated[list[Path], typer.Argument(help="Files, directories or zips to import.")]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="postgresql://user:pass@host/db, sqlite:///path/koito.db or a "
        "*.db path. Default: KOITO_DATABASE_URL, else $KOITO_CONFIG_DIR/koito.db, else "
        "./koito.db.",
    ),
]


class UsageProblem(Exception):
    """An option value that cannot be used (exit 2, like click's own usage errors)."""


def _fail(code: Exit, message: str) -> NoReturn:
    one_line = " ".join(line.strip() for line in message.splitlines() if line.strip())
    # Escaped: a file name like "[2024] export.json" is not markup.
    err.print(f"[red]koito-import: {escape(one_line)}[/]", soft_wrap=True)
    raise typer.Exit(int(code))


def _shared_options(
    paths: PathsArg,
    db: DbOpt = None,
    user: Annotated[
        str | None, typer.Option(help="Koito user to credit (default: the first admin).")
    ] = None,
    after: Annotated[
        str | None,
        typer.Option(
            envvar="KOITO_IMPORT_AFTER_UNIX",
            help="Only listens after this (unix seconds or ISO date).",
        ),
    ] = None,
    before: Annotated[
        str | None,
        typer.Option(envvar="KOITO_IMPORT_BEFORE_UNIX", help="Only listens before this."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=32,
            help="Parallel database look-ups (PostgreSQL). A batch's look-ups are split into "
            f"chunks of at least {LOOKUP_CHUNK:,} names or keys, one per connection: below "
            "that, a batch uses one whatever N is.",
        ),
    ] = min(4, os.cpu_count() or 2),
    batch_size: Annotated[int, typer.Option(min=1, help="Listens per transaction.")] = 5000,
    artist_separator: Annotated[
        list[str] | None,
        typer.Option(
            "--artist-separator",
            help="Regex splitting artist strings (repeatable; default "
            r"'\s+·\s+' or KOITO_ARTIST_SEPARATORS_REGEX).",
        ),
    ] = None,
    min_played: Annotated[
        int | None, typer.Option(help="Spotify: also count plays of at least this many seconds.")
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Resolve everything, write nothing, report what would change."
        ),
    ] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on any skipped item.")] = False,
    wait: Annotated[float, typer.Option(help="Seconds to wait for another import's lock.")] = 10.0,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON summary on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Only the signature is used: every source command takes these options (see _register)."""


def _register(source: str) -> None:
    def command(**kwargs: Any) -> None:
        _run(source, **kwargs)

    signature = inspect.signature(_shared_options)
    if source not in ("spotify", "auto"):
        signature = signature.replace(
            parameters=[p for p in signature.parameters.values() if p.name != "min_played"]
        )
    command.__signature__ = signature  # type: ignore[attr-defined]
    command.__doc__ = SOURCE_HELP[source]
    app.command(source)(command)


RERUN = "run the same command again to finish"


def _run(source: str, *, debug: bool = False, **kwargs: Any) -> None:

    try:
        options = _options(source, **kwargs)
        for one in _by_source(options):
            summary = _import(one, kwargs["quiet"], as_json=kwargs["json"])
            if summary.interrupted:
                break
    except (Exception, KeyboardInterrupt) as exc:
        _fail(*_classify(exc, debug))
    if summary.interrupted:
        _fail(
            Exit.INTERRUPTED,
            f"interrupted (Ctrl-C): stopped after the last whole batch, "
            f"{summary.inserted:,} listens inserted; {RERUN}",
        )


def _classify(exc: BaseException, debug: bool) -> tuple[Exit, str]:
    """The exit code and one-line message for a failure (re-raised with --debug when it is
    not one of ours)."""
    if isinstance(exc, UsageProblem):
        return Exit.USAGE, str(exc)
    if isinstance(exc, InputError | StrictSkip):
        return Exit.BAD_INPUT, str(exc)
    if isinstance(exc, LockHeld):
        return Exit.LOCKED, str(exc)
    if isinstance(exc, StoreError | DatabaseChoiceError):
        return Exit.DATABASE, str(exc)
    if isinstance(exc, KeyboardInterrupt):
        # Ctrl-C before the batch loop (which finishes its batch instead): every batch
        # written is whole, so the same command picks up from here.
        return Exit.INTERRUPTED, f"interrupted (Ctrl-C): nothing half-written; {RERUN}"
    if debug:
        raise exc
    return Exit.FAILED, f"unexpected error: {type(exc).__name__}: {exc} (run with --debug)"


def _by_source(options: ImportOptions) -> Iterator[ImportOptions]:
    """`auto` imports each kind of export it is given as a run of its own, saying which."""
    if options.source != "auto":
        yield options
        return
    for source, paths in group_by_source(options.paths):
        shown = ", ".join(map(str, paths[:3]))
        if len(paths) > 3:
            shown += f" and {len(paths) - 3} more"
        err.print(f"koito-import: detected a {source} export: {escape(shown)}", soft_wrap=True)
        yield replace(options, source=source, paths=paths)


def _options(source: str, **kw: Any) -> ImportOptions:
    if kw["user"] is not None and not kw["user"].strip():
        raise UsageProblem("--user needs a user name (leave it out for the first admin)")
    separators = kw["artist_separator"] or os.environ.get("KOITO_ARTIST_SEPARATORS_REGEX")
    if isinstance(separators, list):
        separators = ";;".join(separators)
    try:
        compiled = compile_separators(separators)
        after = parse_bound(kw["after"], "--after")
        before = parse_bound(kw["before"], "--before")
    except re.error as exc:
        problem = f"artist separator {separators!r} is not a regular expression ({exc})"
        raise UsageProblem(problem) from exc
    except ValueError as exc:
        raise UsageProblem(str(exc)) from exc
    return ImportOptions(
        source=source,
        paths=kw["paths"],
        db=choose_database(kw["db"]),
        user=kw["user"],
        after=after,
        before=before,
        workers=kw["workers"],
        batch_size=kw["batch_size"],
        separators=compiled,
        source_options=SourceOptions(min_played_s=kw.get("min_played")),
        dry_run=kw["dry_run"],
        strict=kw["strict"],
        wait_s=kw["wait"],
        default_username=os.environ.get("KOITO_DEFAULT_USERNAME", "admin"),
        default_password=os.environ.get("KOITO_DEFAULT_PASSWORD", "changeme"),
    )


def _import(
    options: ImportOptions, quiet: bool, as_json: bool = False, table: bool = True
) -> Summary:
    if not quiet:
        verb = "Checking against" if options.dry_run else "Importing into"
        err.print(f"koito-import: {verb} {escape(options.db.display())}", soft_wrap=True)
    reporter = _reporter(quiet)
    try:
        summary = run_import(options, reporter)
    finally:
        reporter.close()
    if as_json:
        _json_line(summary.as_json())
    elif table and not quiet:
        out.print(_summary_table(summary))
        if out.is_terminal:
            _landed_report(options, summary)
    if summary.created_user and not (summary.dry_run or quiet or as_json):
        # Plainly, last: Koito is open to anyone who knows the default (--json: in `notes`).
        out.print(f"[bold]koito-import: {escape(summary.created_user)}[/]", soft_wrap=True)
    return summary


def _json_line(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value).decode() + "\n")
    sys.stdout.flush()


def _landed_report(options: ImportOptions, summary: Summary) -> None:
    """Below the summary table on a terminal: what this run inserted, and what it skipped."""
    from koito_import.charts import render_landed
    from koito_import.report import landed_report

    report = landed_report(options.db, summary.landed, artists=not summary.dry_run)
    render_landed(report, summary, out)


def _reporter(quiet: bool) -> QuietReporter:
    if quiet:
        return QuietReporter()
    if err.is_terminal:
        return RichReporter(err)
    return PlainReporter()


def _summary_table(summary: "Summary") -> "Table":
    from rich.table import Table

    title = "Dry run: nothing written" if summary.dry_run else "Import summary"
    if summary.interrupted:
        title += " (interrupted: stopped after the last whole batch)"
    table = Table(title=title, show_header=False)
    rows: list[tuple[str, str]] = [
        ("database", summary.database),
        ("user", summary.user),
        ("read", f"{summary.read:,}"),
        ("skipped", f"{summary.skipped:,}"),
        *((f"  {reason}", f"{n:,}") for reason, n in summary.skip_reasons.most_common()),
        ("listens inserted", f"{summary.inserted:,}"),
        ("duplicates", f"{summary.duplicates:,}"),
        ("artists created", f"{summary.artists_created:,}"),
        ("releases created", f"{summary.releases_created:,}"),
        ("tracks created", f"{summary.tracks_created:,}"),
        ("elapsed", f"{summary.elapsed_s:.2f} s"),
    ]
    if summary.run_id is not None:
        rows.append(("run", f"{summary.run_id} (koito-import undo {summary.run_id} takes it back)"))
    for name, value in rows:
        table.add_row(name, value)
    return table


for _source in SOURCE_HELP:
    _register(_source)


@app.command("runs")
def runs_command(
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(min=0, help="Show this many runs (0: all).")] = 20,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON list on stdout.")] = False,
) -> None:
    """The runs that wrote to the database, newest first: what each read, inserted, created."""
    try:
        database = choose_database(db)
        runs = list_runs(database, limit or None)
    except (StoreError, DatabaseChoiceError) as exc:
        _fail(Exit.DATABASE, str(exc))
    if json:
        _json_line([run.as_json() for run in runs])
    elif not runs:
        out.print(f"No runs recorded in {database.display()} yet.")
    else:
        # Not on a terminal (a cron log), the table takes the width it needs.
        wide = out if out.is_terminal else Console(highlight=False, width=160)
        wide.print(runs_table(runs, database.display(), wide.width))


@app.command("undo")
def undo_command(
    run_id: Annotated[int, typer.Argument(help="The run to take back (see `koito-import runs`).")],
    db: DbOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be removed, change nothing.")
    ] = False,
    wait: Annotated[float, typer.Option(help="Seconds to wait for an import's lock.")] = 10.0,
    json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Take a run back: its listens, and the entities it created that nothing uses any more."""
    try:
        result = undo_run(choose_database(db), run_id, dry_run, wait)
    except UndoProblem as exc:
        _fail(Exit.USAGE, str(exc))
    except (Exception, KeyboardInterrupt) as exc:
        _fail(*_classify(exc, debug=False))
    if json:
        _json_line(result.as_json())
    elif result.already:
        out.print(
            f"Run {run_id} was undone already ({when(result.run.undone_at)} UTC): nothing to do."
        )
    else:
        out.print(undo_table(result))


def inbox_command(folder: Path | None = None, *, debug: bool = False, **kw: Any) -> None:
    """Import each file of Koito's import folder as a run; move it to import_complete/."""
    folder = folder or inbox.default_folder()
    if folder is None:
        _fail(Exit.USAGE, "name the folder to import, or set KOITO_CONFIG_DIR")
    quiet, as_json = kw["quiet"], kw["json"]
    try:
        base = _options("auto", paths=[], **kw)
        if not quiet and not as_json:
            err.print(f"koito-import: importing the files in {escape(str(folder))}")

        def attempt(path: Path, source: str) -> Summary:
            if not quiet:
                err.print(f"koito-import: {escape(str(path))}: a {source} export")
            one = replace(base, source=source, paths=[path])
            return _import(one, quiet, table=not as_json)

        outcomes = inbox.empty(
            folder,
            attempt,
            lambda exc: _classify(exc, debug),
            keep_files=base.dry_run,
            announce=lambda o: _announce(o, quiet, as_json),
        )
    except (Exception, KeyboardInterrupt) as exc:
        _fail(*_classify(exc, debug))
    if not outcomes and not quiet and not as_json:
        err.print(f"koito-import: nothing to import in {escape(str(folder))}")
    failed = [o for o in outcomes if o.code]
    if failed:
        raise typer.Exit(failed[0].code)


def _announce(outcome: inbox.Outcome, quiet: bool, as_json: bool) -> None:
    if as_json:
        _json_line(outcome.as_json())
    if outcome.code:  # a failure is always named, even --quiet, on one line
        message = outcome.error or ""
        if str(outcome.path) not in message:
            message = f"{outcome.path}: {message}"
        one_line = " ".join(message.split())
        err.print(f"[red]koito-import: {escape(one_line)} (the file stays)[/]", soft_wrap=True)
    elif outcome.moved_to and not quiet and not as_json:
        err.print(f"koito-import: moved to {escape(str(outcome.moved_to))}")


def _register_inbox() -> None:
    """The inbox takes a folder, then every option of the import commands."""
    folder = inspect.Parameter(
        "folder",
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        default=None,
        annotation=Annotated[
            Path | None,
            typer.Argument(help="The folder to empty (default: $KOITO_CONFIG_DIR/import)."),
        ],
    )
    shared = inspect.signature(_shared_options).parameters
    params = [folder, *(p for name, p in shared.items() if name != "paths")]
    inbox_command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    app.command("inbox")(inbox_command)


_register_inbox()


@app.command("report")
def report_command(
    db: DbOpt = None,
    user: Annotated[
        str | None, typer.Option(help="Only this Koito user's listens (default: every user's).")
    ] = None,
    top: Annotated[
        int, typer.Option(min=1, max=1000, help="How many artists, albums and tracks to list.")
    ] = 10,
    since: Annotated[
        str | None, typer.Option(help="Only listens from this moment (unix seconds or ISO date).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Only listens up to this moment.")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """What the database holds: listens per year, top artists, albums and tracks, clients."""
    from koito_import.charts import render_report
    from koito_import.report import build_report

    try:
        window = parse_bound(since, "--since"), parse_bound(until, "--until")
    except ValueError as exc:
        _fail(Exit.USAGE, str(exc))
    try:
        database = choose_database(db)
        found = build_report(database, user=user, top=top, since=window[0], until=window[1])
    except (StoreError, DatabaseChoiceError) as exc:
        _fail(Exit.DATABASE, str(exc))
    if json:
        _json_line(found.as_json())
    else:
        render_report(found, out)


@db_app.command("status")
def db_status(db: DbOpt = None) -> None:
    """Say whether the database is Koito's and ready for imports."""
    try:
        database = choose_database(db)
        out.print(escape(schema.status(database).describe()), soft_wrap=True)
    except (StoreError, DatabaseChoiceError) as exc:
        _fail(Exit.DATABASE, str(exc))


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Create Koito's schema on an empty database, or add what koito-import needs."""
    try:
        database = choose_database(db)
        for action in schema.upgrade(database):
            out.print(escape(f"{database.display()}: {action}"), soft_wrap=True)
    except (StoreError, DatabaseChoiceError) as exc:
        _fail(Exit.DATABASE, str(exc))


def main() -> None:
    """The console script: a Ctrl-C even before the first batch exits 130, not a traceback."""
    try:
        app(prog_name="koito-import")
    except KeyboardInterrupt:
        err.print("koito-import: interrupted (Ctrl-C) before anything was written")
        sys.exit(int(Exit.INTERRUPTED))
