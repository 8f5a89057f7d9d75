"""`koito-import auto`: every input detected, each kind of export imported as a run of its
own. A source that fails does not stop the others: the command tries them all, names what
it left out and what failed, and exits with the first failure's code."""

from dataclasses import replace
from pathlib import Path

import typer
from rich.markup import escape

from koito_import.commands.common import Exit, classify, err, fail, json_line
from koito_import.commands.failures import Failure, closing_list, say_failure
from koito_import.commands.one_run import import_one, stop_if_interrupted
from koito_import.importer.options import ImportOptions
from koito_import.sources import sort_inputs
from koito_import.sources.base import InputError


def run_auto(options: ImportOptions, quiet: bool, as_json: bool, debug: bool) -> None:
    found = sort_inputs(options.paths)
    if found.left_out:
        err.print(f"koito-import: {escape(left_out(found.left_out))}", soft_wrap=True)
    failures = [Failure("", int(Exit.BAD_INPUT), str(e)) for e in found.failed]
    for failure in failures:
        say_failure(failure)
    if not found.groups and not failures:
        fail(Exit.BAD_INPUT, "nothing to import: no export koito-import reads among the inputs")
    for source, paths in found.groups:
        shown = shown_paths(paths)
        err.print(f"koito-import: detected a {source} export: {escape(shown)}", soft_wrap=True)
        try:
            summary = import_one(replace(options, source=source, paths=paths), quiet, as_json)
        except KeyboardInterrupt as exc:
            fail(*classify(exc, debug))
        except Exception as exc:
            code, message = classify(exc, debug)
            failures.append(Failure(source, int(code), message))
            say_failure(failures[-1])
            continue
        if as_json:
            json_line(summary.as_json())
        stop_if_interrupted(summary)
    if failures:
        closing_list(failures, len(found.groups) + len(found.failed))
        raise typer.Exit(failures[0].code)


def left_out(files: list[InputError]) -> str:
    """One line naming every file left out, and why when the reasons are few."""
    reasons = {e.problem for e in files}
    if len(reasons) == 1:
        return f"left out ({reasons.pop()}): {shown_paths([Path(e.where) for e in files])}"
    return (
        "left out: "
        + "; ".join(f"{e.where} ({e.problem})" for e in files[:5])
        + (f"; and {len(files) - 5} more" if len(files) > 5 else "")
    )


def shown_paths(paths: list[Path], at_most: int = 3) -> str:
    """The paths, or the first few and how many more: never "and 1 more" for a name that
    fits in its place."""
    if len(paths) <= at_most + 1:
        return ", ".join(map(str, paths))
    return ", ".join(map(str, paths[:at_most])) + f" and {len(paths) - at_most} more"
