"""`koito-import inbox [DIR]`: Koito's import folder, each file imported as a run of its own."""

import inspect
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from koito_import.commands.common import Exit, classify, err, fail, json_line
from koito_import.commands.imports import import_one
from koito_import.commands.options import import_options, import_parameters
from koito_import.core.summary import Summary
from koito_import.importer import inbox


def inbox_command(
    folder: Path | None = None, settle: float = inbox.SETTLE_S, *, debug: bool = False, **kw: Any
) -> None:
    """Import each file of Koito's import folder as a run; move it to import_complete/."""
    folder = folder or inbox.default_folder()
    if folder is None:
        fail(Exit.USAGE, "name the folder to import, or set KOITO_CONFIG_DIR")
    if folder.is_file():
        fail(
            Exit.USAGE,
            f"{folder} is a file, not a folder: to import this file, run "
            f"`koito-import auto {folder}`; `inbox` takes the folder it is in",
        )
    quiet, as_json = kw["quiet"], kw["json"]
    try:
        base = import_options("auto", paths=[], **kw)
        if not quiet and not as_json:
            err.print(f"koito-import: importing the files in {escape(str(folder))}")

        def attempt(path: Path, source: str) -> Summary:
            if not quiet:
                err.print(f"koito-import: {escape(str(path))}: a {source} export")
            one = replace(base, source=source, paths=[path])
            return import_one(one, quiet, as_json)  # --json: the outcome carries the summary

        outcomes = inbox.empty(
            folder,
            attempt,
            lambda exc: classify(exc, debug),
            keep_files=base.dry_run,
            announce=lambda o: _announce(o, quiet, as_json),
            settle_s=settle,
        )
    except (Exception, KeyboardInterrupt) as exc:
        fail(*classify(exc, debug))
    if not outcomes and not quiet and not as_json:
        err.print(f"koito-import: nothing to import in {escape(str(folder))}")
    failed = [o for o in outcomes if o.code]
    if failed and len(outcomes) > 1 and not quiet and not as_json:
        # The failure lines have scrolled away among the runs' output: name them again.
        err.print(f"[red]koito-import: {len(failed)} of {len(outcomes)} files failed and stay:[/]")
        for o in failed:
            err.print(f"[red]  {escape(_one_line(o))}[/]", soft_wrap=True)
    if failed:
        raise typer.Exit(failed[0].code)


def _one_line(outcome: inbox.Outcome) -> str:
    message = outcome.error or ""
    if str(outcome.path) not in message:
        message = f"{outcome.path}: {message}"
    return " ".join(message.split())


def _announce(outcome: inbox.Outcome, quiet: bool, as_json: bool) -> None:
    if as_json:
        json_line(outcome.as_json())
    if outcome.code:  # a failure is always named, even --quiet, on one line
        err.print(
            f"[red]koito-import: {escape(_one_line(outcome))} (the file stays)[/]", soft_wrap=True
        )
    elif outcome.left and not quiet and not as_json:
        err.print(f"koito-import: {escape(str(outcome.path))}: {outcome.left}", soft_wrap=True)
    elif outcome.moved_to and not quiet and not as_json:
        err.print(f"koito-import: moved to {escape(str(outcome.moved_to))}")


# The inbox takes a folder, then every option of the import commands.
_FOLDER = inspect.Parameter(
    "folder",
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    default=None,
    annotation=Annotated[
        Path | None,
        typer.Argument(
            metavar="[DIR]", help="The folder to empty (default: $KOITO_CONFIG_DIR/import)."
        ),
    ],
)
_SETTLE = inspect.Parameter(
    "settle",
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    default=inbox.SETTLE_S,
    annotation=Annotated[
        float,
        typer.Option(
            min=0,
            metavar="SECONDS",
            help="Take a file only once it is not empty and unmodified for this many seconds "
            "(a copy still under way is left for the next run).",
        ),
    ],
)
inbox_command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [_FOLDER, _SETTLE, *import_parameters("paths")]
)
