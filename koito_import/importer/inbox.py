"""`koito-import inbox [DIR]`: Koito's own drop folder, emptied from cron (SPEC §6).

Koito imports the files in `$KOITO_CONFIG_DIR/import/` when it starts, and moves each one it
imported to `import_complete/` beside that folder. This does the same at any moment, beside a
running Koito: every regular file at the top of the folder (hidden ones aside, as Koito reads
no sub-folders) is detected and imported as a run of its own. A file that fails stays where it
is, so the next run tries it again; the others are tried all the same.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from koito_import.core.files import own_like
from koito_import.core.summary import Summary
from koito_import.sources import detect
from koito_import.sources.base import InputError

COMPLETE = "import_complete"


@dataclass(slots=True)
class Outcome:
    """What became of one file of the inbox."""

    path: Path
    source: str | None = None
    summary: Summary | None = None
    moved_to: Path | None = None
    code: int = 0  # the exit code its failure maps to; 0 when imported
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        done = self.summary.as_json() if self.summary else {}
        return {
            "path": str(self.path),
            "source": self.source,
            "status": "failed" if self.code else "imported" if self.moved_to else "checked",
            "moved_to": str(self.moved_to) if self.moved_to else None,
            "error": self.error,
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


def move_to_complete(path: Path) -> Path:
    """Into `import_complete/` beside the folder, as Koito does; a file of the same name
    already there is kept, and this one gets a numbered name."""
    done = path.parent.parent / COMPLETE
    if not done.is_dir():
        done.mkdir(exist_ok=True)
        own_like(done, path.parent)  # Koito, as its own user, moves its files there too
    target = done / path.name
    number = 1
    while target.exists():
        target = done / f"{path.stem}.{number}{path.suffix}"
        number += 1
    path.rename(target)
    return target


def empty(
    folder: Path,
    attempt: Callable[[Path, str], Summary],
    classify: Callable[[BaseException], tuple[int, str]],
    keep_files: bool = False,
    announce: Callable[[Outcome], None] = lambda _: None,
) -> list[Outcome]:
    """Import each pending file with `attempt(path, source)`; `classify` turns a failure into
    (exit code, one-line message). `keep_files` (a dry run): move nothing. `announce` is told
    each file's outcome as soon as it is known. A Ctrl-C stops after the current file."""
    outcomes = []
    for path in pending(folder):
        outcome = Outcome(path)
        stop = False
        try:
            outcome.source = detect(path)
            outcome.summary = attempt(path, outcome.source)
            if outcome.summary.interrupted:
                raise KeyboardInterrupt  # whole batches are in; the file stays for next time
            if not keep_files:
                outcome.moved_to = move_to_complete(path)
        except KeyboardInterrupt as exc:
            outcome.code, outcome.error = classify(exc)
            stop = True
        except Exception as exc:
            outcome.code, outcome.error = classify(exc)
        outcomes.append(outcome)
        announce(outcome)
        if stop:
            break
    return outcomes
