"""`koito-import inbox [DIR]`: Koito's own drop folder, emptied from cron (SPEC §6).

Koito imports the files in `$KOITO_CONFIG_DIR/import/` when it starts, and moves each one it
imported to `import_complete/` beside that folder (`$KOITO_CONFIG_DIR/import_complete`, its
importer.go). This does the same at any moment, beside a running Koito: every regular file at
the top of the folder (hidden ones aside, as Koito reads no sub-folders) is detected and
imported as a run of its own. A file that fails stays where it is, so the next run tries it
again; the others are tried all the same.

A file is taken only once it has settled: not empty, and not modified for `settle_s` seconds
(a copy still under way changes its size and modification time as it goes). Its size and
modification time are looked at again after the import: a file that changed meanwhile is not
moved, so the next run imports the rest of it. Two runs at once (overlapping cron jobs) never
interleave their imports (the import lock), and a file the other run has moved away meanwhile
is "taken", not a failure.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from koito_import.core.files import own_like
from koito_import.core.summary import Summary
from koito_import.sources import detect
from koito_import.sources.base import InputError

COMPLETE = "import_complete"
SETTLE_S = 60.0  # a copy that pauses longer than this is taken as finished
STILL_WRITTEN = "still being written, left for the next run"
TAKEN = "taken by another koito-import run meanwhile"


@dataclass(slots=True)
class Outcome:
    """What became of one file of the inbox."""

    path: Path
    source: str | None = None
    summary: Summary | None = None
    moved_to: Path | None = None
    code: int = 0  # the exit code its failure maps to; 0 when imported
    error: str | None = None
    # Why a file was left without failing: still being written, or taken by another run.
    left: str | None = None

    @property
    def status(self) -> str:
        if self.code:
            return "failed"
        if self.left == TAKEN:
            return "taken"
        if self.left:
            return "waiting"
        return "imported" if self.moved_to else "checked"

    def as_json(self) -> dict[str, Any]:
        done = self.summary.as_json() if self.summary else {}
        return {
            "path": str(self.path),
            "source": self.source,
            "status": self.status,
            "moved_to": str(self.moved_to) if self.moved_to else None,
            "error": self.error,
            "left": self.left,
            "exit_code": self.code,
            **done,
        }


def default_folder(environ: dict[str, str] | None = None) -> Path | None:
    config_dir = (os.environ if environ is None else environ).get("KOITO_CONFIG_DIR")
    return Path(config_dir) / "import" if config_dir else None


def pending(folder: Path) -> list[Path]:
    """The files waiting in the folder, by name."""
    if not folder.is_dir():
        raise InputError(str(folder), "no such folder")
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def complete_folder(folder: Path) -> Path:
    """`import_complete/` beside the folder, as Koito does; resolved first, so that
    `inbox .` does not put it inside the folder (the parent of "." is ".")."""
    return folder.resolve().parent / COMPLETE


def ready_to_move(folder: Path) -> Path:
    """Make sure imported files can be moved before importing any: a file that is imported
    and then cannot be moved would be imported again by every cron run."""
    done = complete_folder(folder)
    if done.exists() and not done.is_dir():
        raise InputError(
            str(done), "is not a folder; imported files are moved there: rename or remove it"
        )
    if not done.is_dir():
        try:
            done.mkdir(exist_ok=True)
        except OSError as exc:
            raise InputError(str(done), f"cannot be created ({exc.strerror})") from None
        own_like(done, folder)  # Koito, as its own user, moves its files there too
    for place in (folder, done):
        if not os.access(place, os.W_OK | os.X_OK):
            raise InputError(
                str(place), "is not writable, so imported files could not be moved out"
            )
    return done


def move_to_complete(path: Path, done: Path) -> Path:
    """Into `done`; a file of the same name already there is kept, and this one gets a
    numbered name."""
    target = done / path.name
    number = 1
    while target.exists():
        target = done / f"{path.stem}.{number}{path.suffix}"
        number += 1
    path.rename(target)
    return target


def still_written(path: Path, settle_s: float, now: float) -> str | None:
    """Why the file is not taken yet (empty, or modified less than `settle_s` ago)."""
    facts = path.stat()
    if facts.st_size == 0:
        return f"{STILL_WRITTEN} (empty)"
    age = now - facts.st_mtime
    if age < settle_s:
        return f"{STILL_WRITTEN} (modified {max(age, 0):.0f} s ago; --settle {settle_s:g})"
    return None


def _fingerprint(path: Path) -> tuple[int, int]:
    facts = path.stat()
    return facts.st_size, facts.st_mtime_ns


def empty(
    folder: Path,
    attempt: Callable[[Path, str], Summary],
    classify: Callable[[BaseException], tuple[int, str]],
    keep_files: bool = False,
    announce: Callable[[Outcome], None] = lambda _: None,
    settle_s: float = SETTLE_S,
) -> list[Outcome]:
    """Import each settled file with `attempt(path, source)`; `classify` turns a failure
    into (exit code, one-line message). `keep_files` (a dry run): move nothing. `announce`
    is told each file's outcome as soon as it is known. A Ctrl-C stops after the current
    file."""
    outcomes: list[Outcome] = []
    files = pending(folder)
    now = time.time()
    done = None
    for path in files:
        outcome = Outcome(path)
        stop = False
        try:
            outcome.left = still_written(path, settle_s, now)
            if outcome.left is None:
                if done is None and not keep_files:
                    done = ready_to_move(folder)  # before the first import, not after
                _import_one(outcome, attempt, done)
        except KeyboardInterrupt as exc:
            outcome.code, outcome.error = classify(exc)
            stop = True
        except Exception as exc:
            if isinstance(exc, InputError) and done is None and not keep_files:
                raise  # import_complete cannot be used: no file can be done
            if not path.exists():  # moved by an overlapping run: its file, not a failure
                outcome.left = TAKEN
            else:
                outcome.code, outcome.error = classify(exc)
        outcomes.append(outcome)
        announce(outcome)
        if stop:
            break
    return outcomes


def _import_one(
    outcome: Outcome, attempt: Callable[[Path, str], Summary], done: Path | None
) -> None:
    path = outcome.path
    before = _fingerprint(path)
    outcome.source = detect(path)
    outcome.summary = attempt(path, outcome.source)
    if outcome.summary.interrupted:
        raise KeyboardInterrupt  # whole batches are in; the file stays for next time
    if done is None:
        return
    if _fingerprint(path) != before:  # written to while it was read: the rest next time
        outcome.left = f"{STILL_WRITTEN} (it changed while it was imported)"
        return
    try:
        outcome.moved_to = move_to_complete(path, done)
    except OSError as exc:
        if not path.exists():
            raise
        run = outcome.summary.run_id
        raise InputError(
            str(path),
            f"imported (run {run}) but not moved to {done} ({exc.strerror}): move it by hand,"
            " or the next run imports it again (adding no listen)",
        ) from None
