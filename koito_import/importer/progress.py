"""Showing an import as it runs: rich bars on a terminal, plain lines in cron, or nothing.

Progress follows the real work: while the input is read and checked, bytes of input; while
importing, listens written (the check pass knows how many there are).
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from koito_import.core.summary import Summary
from koito_import.importer.options import IMPORTING
from koito_import.sources.base import ByteCounter


class QuietReporter:
    def stage(self, name: str) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def progress(self, summary: Summary, counter: ByteCounter) -> None:
        pass

    def close(self) -> None:
        pass


def describe(summary: Summary, counter: ByteCounter, importing: bool, elapsed_s: float) -> str:
    """The progress of the current stage in words."""
    share = f" ({100 * counter.done / counter.total:.0f}%)" if counter.total else ""
    if not importing:
        return f"read {summary.read:,} items{share}"
    rate = counter.done / max(elapsed_s, 1e-9)
    return (
        f"imported {counter.done:,} of {counter.total:,} listens{share}, "
        f"{summary.inserted:,} new, {rate:,.0f} listens/s"
    )


class PlainReporter(QuietReporter):
    """One line per stage and at most one progress line every few seconds, on stderr."""

    def __init__(self, every_s: float = 5.0) -> None:
        self.every_s = every_s
        self.stage_started = self.last = time.monotonic()
        self.importing = False

    def stage(self, name: str) -> None:
        self.importing = name == IMPORTING
        self.stage_started = self.last = time.monotonic()
        print(f"koito-import: {name}", file=sys.stderr, flush=True)

    def note(self, text: str) -> None:
        print(f"koito-import: {text}", file=sys.stderr, flush=True)

    def progress(self, summary: Summary, counter: ByteCounter) -> None:
        now = time.monotonic()
        if now - self.last < self.every_s:
            return
        self.last = now
        said = describe(summary, counter, self.importing, now - self.stage_started)
        print(f"koito-import: {said}", file=sys.stderr, flush=True)


class RichReporter(QuietReporter):
    """A live bar per stage: over the input bytes while reading, over the listens while
    importing, with what the stage has done so far."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[said]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.task = self.bar.add_task("starting", total=None, said="")
        self.importing = False
        self.stage_started = time.monotonic()
        self.bar.start()

    def stage(self, name: str) -> None:
        self.importing = name == IMPORTING
        self.stage_started = time.monotonic()
        self.bar.reset(self.task, description=name, total=None, said="")

    def note(self, text: str) -> None:
        self.console.print(f"[cyan]•[/] {text}")

    def progress(self, summary: Summary, counter: ByteCounter) -> None:
        said = describe(summary, counter, self.importing, time.monotonic() - self.stage_started)
        self.bar.update(self.task, total=counter.total or None, completed=counter.done, said=said)

    def close(self) -> None:
        self.bar.stop()
