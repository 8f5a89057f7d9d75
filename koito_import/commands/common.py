"""What every command shares: its exit codes, its two consoles, and how it fails."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from koito_import.core.dburl import DatabaseChoiceError
from koito_import.importer.options import StrictSkip
from koito_import.sources.base import InputError
from koito_import.store.base import LockHeld, StoreError


class Exit(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    BAD_INPUT = 3
    DATABASE = 4
    LOCKED = 5
    SERVICE = 6  # a sync's service refused or could not be reached
    INTERRUPTED = 130


err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

RERUN = "run the same command again to finish"


class UsageProblem(Exception):
    """An option value that cannot be used (exit 2, like click's own usage errors)."""


def fail(code: Exit, message: str) -> NoReturn:
    one_line = " ".join(line.strip() for line in message.splitlines() if line.strip())
    # Escaped: a file name like "[2024] export.json" is not markup.
    err.print(f"[red]koito-import: {escape(one_line)}[/]", soft_wrap=True)
    raise typer.Exit(int(code))


# Our failures and their exit codes, the first that matches (LockHeld is a StoreError).
EXITS: tuple[tuple[type[Exception] | tuple[type[Exception], ...], Exit], ...] = (
    (UsageProblem, Exit.USAGE),
    ((InputError, StrictSkip), Exit.BAD_INPUT),
    (LockHeld, Exit.LOCKED),
    ((StoreError, DatabaseChoiceError), Exit.DATABASE),
)


def classify(exc: BaseException, debug: bool) -> tuple[Exit, str]:
    """The exit code and one-line message for a failure (re-raised with --debug when it is
    not one of ours)."""
    for kinds, code in EXITS:
        if isinstance(exc, kinds):
            return code, str(exc)
    if isinstance(exc, KeyboardInterrupt):
        # Ctrl-C before the batch loop (which finishes its batch instead): every batch
        # written is whole, so the same command picks up from here.
        return Exit.INTERRUPTED, f"interrupted (Ctrl-C): nothing half-written; {RERUN}"
    if debug:
        raise exc
    return Exit.FAILED, f"unexpected error: {type(exc).__name__}: {exc} (run with --debug)"


@contextmanager
def database_failures() -> Iterator[None]:
    """A database that cannot be named, reached or read ends the command: exit 4, one line."""
    try:
        yield
    except (StoreError, DatabaseChoiceError) as exc:
        fail(Exit.DATABASE, str(exc))


def json_line(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value).decode() + "\n")
    sys.stdout.flush()
