"""The command line: parse options, call the library, print what happened.

Start-up is part of every run (cron, `--help`): the readers, the pipeline and the database
drivers are imported inside the commands that use them, not here.
"""

import inspect
import os
import re
import sys
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from koito_import.dburl import DatabaseChoiceError, choose_database

if TYPE_CHECKING:
    from rich.table import Table

    from koito_import.pipeline import ImportOptions
    from koito_import.progress import QuietReporter
    from koito_import.summary import Summary


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
    workers: Annotated[int, typer.Option(min=1, max=32, help="Parallel database look-ups.")] = min(
        4, os.cpu_count() or 2
    ),
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
    from koito_import.pipeline import StrictSkip
    from koito_import.sources.base import InputError
    from koito_import.store.base import LockHeld, StoreError

    try:
        options = _options(source, **kwargs)
        summary = _import(options, kwargs["json"], kwargs["quiet"])
    except UsageProblem as exc:
        _fail(Exit.USAGE, str(exc))
    except (InputError, StrictSkip) as exc:
        _fail(Exit.BAD_INPUT, str(exc))
    except LockHeld as exc:
        _fail(Exit.LOCKED, str(exc))
    except (StoreError, DatabaseChoiceError) as exc:
        _fail(Exit.DATABASE, str(exc))
    except KeyboardInterrupt:
        # Ctrl-C before the batch loop (which finishes its batch instead): every batch
        # written is whole, so the same command picks up from here.
        _fail(Exit.INTERRUPTED, f"interrupted (Ctrl-C): nothing half-written; {RERUN}")
    except Exception as exc:
        if debug:
            raise
        _fail(Exit.FAILED, f"unexpected error: {type(exc).__name__}: {exc} (run with --debug)")
    if summary.interrupted:
        _fail(
            Exit.INTERRUPTED,
            f"interrupted (Ctrl-C): stopped after the last whole batch, "
            f"{summary.inserted:,} listens inserted; {RERUN}",
        )


def _options(source: str, **kw: Any) -> "ImportOptions":
    from koito_import.catalog.artist_names import compile_separators
    from koito_import.pipeline import ImportOptions
    from koito_import.sources import detect
    from koito_import.sources.base import InputError, SourceOptions
    from koito_import.timeparse import parse_bound

    paths: list[Path] = kw["paths"]
    if source == "auto":
        found = {detect(p) for p in paths}
        if len(found) != 1:
            raise InputError(
                ", ".join(map(str, paths)),
                f"these are different exports "
                f"({', '.join(sorted(found))}); import them one source at a time",
            )
        source = found.pop()
        err.print(f"koito-import: detected a {source} export")
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
        paths=paths,
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


def run_import(options: "ImportOptions", reporter: "QuietReporter") -> "Summary":
    """The pipeline's run_import, imported on first use (and replaceable here, in tests)."""
    from koito_import import pipeline

    return pipeline.run_import(options, reporter)


def _import(options: "ImportOptions", as_json: bool, quiet: bool) -> "Summary":
    if not quiet:
        verb = "Checking against" if options.dry_run else "Importing into"
        err.print(f"koito-import: {verb} {escape(options.db.display())}")
    reporter = _reporter(quiet)
    try:
        summary = run_import(options, reporter)
    finally:
        reporter.close()
    if as_json:
        import orjson

        sys.stdout.write(orjson.dumps(summary.as_json()).decode() + "\n")
    elif not quiet:
        out.print(_summary_table(summary))
    return summary


def _reporter(quiet: bool) -> "QuietReporter":
    from koito_import.progress import PlainReporter, QuietReporter, RichReporter

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
    for name, value in rows:
        table.add_row(name, value)
    return table


for _source in SOURCE_HELP:
    _register(_source)


@db_app.command("status")
def db_status(db: DbOpt = None) -> None:
    """Say whether the database is Koito's and ready for imports."""
    from koito_import import schema
    from koito_import.store.base import StoreError

    try:
        database = choose_database(db)
        out.print(schema.status(database).describe())
    except (StoreError, DatabaseChoiceError) as exc:
        _fail(Exit.DATABASE, str(exc))


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Create Koito's schema on an empty database, or add what koito-import needs."""
    from koito_import import schema
    from koito_import.store.base import StoreError

    try:
        database = choose_database(db)
        for action in schema.upgrade(database):
            out.print(f"{database.display()}: {action}")
    except (StoreError, DatabaseChoiceError) as exc:
        _fail(Exit.DATABASE, str(exc))


def main() -> None:
    """The console script: a Ctrl-C even before the first batch exits 130, not a traceback."""
    try:
        app(prog_name="koito-import")
    except KeyboardInterrupt:
        err.print("koito-import: interrupted (Ctrl-C) before anything was written")
        sys.exit(int(Exit.INTERRUPTED))
