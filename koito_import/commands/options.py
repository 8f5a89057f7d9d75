"""The options the commands share: `--db`, and every import command's options, defined once
and turned into ImportOptions here."""

import inspect
import os
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from koito_import.catalog.artist_names import compile_separators
from koito_import.commands.common import UsageProblem
from koito_import.core.dburl import choose_database
from koito_import.core.times import check_window, parse_bound
from koito_import.importer.options import ImportOptions
from koito_import.sources.base import SourceOptions
from koito_import.store.base import LOOKUP_CHUNK

PathsArg = Annotated[
    list[Path], typer.Argument(metavar="PATH...", help="Files, folders or zips to import.")
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="postgresql://user:pass@host/db, sqlite:////srv/koito/koito.db (an absolute "
        "path takes four slashes; sqlite:///koito.db is relative) or a *.db path. Default: "
        "KOITO_DATABASE_URL, else $KOITO_CONFIG_DIR/koito.db, else ./koito.db.",
    ),
]


def _import_options(
    paths: PathsArg,
    db: DbOpt = None,
    user: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="The Koito user the listens are credited to (default: the first admin).",
        ),
    ] = None,
    after: Annotated[
        str | None,
        typer.Option(
            envvar="KOITO_IMPORT_AFTER_UNIX",
            metavar="TIME",
            help="Only listens at or after this time (unix seconds or ISO date, UTC).",
        ),
    ] = None,
    before: Annotated[
        str | None,
        typer.Option(
            envvar="KOITO_IMPORT_BEFORE_UNIX",
            metavar="TIME",
            help="Only listens at or before this time (unix seconds or ISO date, UTC).",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=32,
            metavar="N",
            help="Parallel database look-ups (PostgreSQL). A batch's look-ups are split into "
            f"chunks of at least {LOOKUP_CHUNK:,} names or keys, one per connection: below "
            "that, a batch uses one whatever N is.",
        ),
    ] = min(4, os.cpu_count() or 2),
    batch_size: Annotated[
        int, typer.Option(min=1, metavar="N", help="Listens per transaction.")
    ] = 5000,
    artist_separator: Annotated[
        list[str] | None,
        typer.Option(
            "--artist-separator",
            metavar="REGEX",
            help="Regex splitting artist strings (repeatable; default "
            r"'\s+·\s+' or KOITO_ARTIST_SEPARATORS_REGEX).",
        ),
    ] = None,
    min_played: Annotated[
        int | None,
        typer.Option(
            metavar="SECONDS",
            help="Spotify: also count plays of at least this many seconds.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Resolve everything, write nothing, report what would change."
        ),
    ] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on any skipped item.")] = False,
    create: Annotated[
        bool,
        typer.Option(
            "--create",
            envvar="KOITO_IMPORT_CREATE",
            help="Create the database named by --db or KOITO_DATABASE_URL if it is missing "
            "or empty (the default ./koito.db is always created).",
        ),
    ] = False,
    wait: Annotated[
        float,
        typer.Option(metavar="SECONDS", help="How long to wait for another import's lock."),
    ] = 10.0,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON summary on stdout.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress output (the summary stays).")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Only the signature is used: see import_parameters."""


def import_parameters(*leave_out: str) -> list[inspect.Parameter]:
    """The parameters of every import command, in order, but those named in `leave_out`."""
    shared = inspect.signature(_import_options).parameters
    return [p for name, p in shared.items() if name not in leave_out]


def _embedded_default(db_option: str | None) -> bool:
    """The README's first command creates ./koito.db (or $KOITO_CONFIG_DIR/koito.db): a
    database named nowhere is the one the user means."""
    return not db_option and not os.environ.get("KOITO_DATABASE_URL")


def import_options(source: str, **kw: Any) -> ImportOptions:
    """The ImportOptions the command line asks for; UsageProblem if they cannot be used."""
    if kw["user"] is not None and not kw["user"].strip():
        raise UsageProblem("--user needs a user name (leave it out for the first admin)")
    separators = kw["artist_separator"] or os.environ.get("KOITO_ARTIST_SEPARATORS_REGEX")
    if isinstance(separators, list):
        separators = ";;".join(separators)
    try:
        compiled = compile_separators(separators)
        after = parse_bound(kw["after"], "--after")
        before = parse_bound(kw["before"], "--before")
        check_window(after, before)
    except re.error as exc:
        problem = f"artist separator {separators!r} is not a regular expression ({exc})"
        raise UsageProblem(problem) from exc
    except ValueError as exc:
        raise UsageProblem(str(exc)) from exc
    return ImportOptions(
        source=source,
        paths=kw["paths"],
        db=choose_database(kw["db"]),
        create=kw["create"] or _embedded_default(kw["db"]),
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
