"""Showing an import as it runs: a bar fitted to the terminal, plain lines in cron, or nothing.

Progress follows the real work: while the input is read and checked, bytes of input; while
importing, listens written (the check pass knows how many there are).
"""

from __future__ import annotations

import sys
import time

from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live

from koito_import.core.summary import Summary
from koito_import.importer.options import IMPORTING
from koito_import.importer.progress_line import Snapshot, fit
from koito_import.sources.base import ByteCounter

READING = "reading the input"
# The bar's label for a stage: short, so the numbers beside it get the room.
LABELS = {"checking database": "checking", READING: "reading", IMPORTING: "importing"}


class QuietReporter:
    def stage(self, name: str) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def progress(self, summary: Summary, counter: ByteCounter) -> None:
        pass

    def close(self) -> None:
        pass


def describe(
    summary: Summary, counter: ByteCounter, importing: bool, elapsed_s: float, dry_run: bool = False
) -> str:
    """The progress of the current stage in words."""
    share = f" ({100 * counter.done / counter.total:.0f}%)" if counter.total else ""
    if not importing:
        return f"read {summary.read:,} items{share}"
    rate = counter.done / max(elapsed_s, 1e-9)
    if dry_run:
        return (
            f"checked {counter.done:,} of {counter.total:,} listens{share}, "
            f"{summary.inserted:,} would be new, {rate:,.0f} listens/s"
        )
    return (
        f"imported {counter.done:,} of {counter.total:,} listens{share}, "
        f"{summary.inserted:,} new, {rate:,.0f} listens/s"
    )


def stage_name(name: str, dry_run: bool) -> str:
    """A dry run writes nothing: its import stage is a rehearsal, and says so."""
    return "rehearsing the import (dry run)" if dry_run and name == IMPORTING else name


class PlainReporter(QuietReporter):
    """One line per stage and at most one progress line every few seconds, on stderr."""

    def __init__(self, every_s: float = 5.0, dry_run: bool = False) -> None:
        self.every_s = every_s
        self.dry_run = dry_run
        self.stage_started = self.last = time.monotonic()
        self.importing = False

    def stage(self, name: str) -> None:
        self.importing = name == IMPORTING
        self.stage_started = self.last = time.monotonic()
        self.note(stage_name(name, self.dry_run))

    def note(self, text: str) -> None:
        print(f"koito-import: {text}", file=sys.stderr, flush=True)

    def progress(self, summary: Summary, counter: ByteCounter) -> None:
        now = time.monotonic()
        if now - self.last < self.every_s:
            return
        self.last = now
        elapsed = now - self.stage_started
        self.note(describe(summary, counter, self.importing, elapsed, self.dry_run))


class RichReporter(QuietReporter):
    """One live line per stage, fitted to the terminal (progress_line): over the input bytes
    while reading, over the listens while importing; a stage with nothing to count (checking
    the database, waiting for another import's lock) shows its name and how long it has
    lasted. Its clock moves even while nothing else does."""

    def __init__(self, console: Console, dry_run: bool = False) -> None:
        self.console = console
        self.dry_run = dry_run
        self.snapshot = Snapshot("starting")
        self.started = time.monotonic()
        self.live = Live(self, console=console, transient=True, refresh_per_second=4)
        self.live.start()

    def stage(self, name: str) -> None:
        label = LABELS.get(name, name)
        if name == IMPORTING and self.dry_run:
            label = "dry run"
        self.snapshot = Snapshot(label)
        self.started = time.monotonic()
        self.live.refresh()

    def note(self, text: str) -> None:
        mark = "-" if self.ascii_only else "•"
        self.console.print(f"[cyan]{mark}[/] {text}")

    def progress(self, summary: Summary, counter: ByteCounter) -> None:
        importing = self.snapshot.label in ("importing", "dry run")
        self.snapshot = Snapshot(
            self.snapshot.label,
            done=counter.done,
            total=counter.total,
            measured_s=time.monotonic() - self.started,
            counts_bytes=not importing,
            items=None if importing else summary.read,
            new=summary.inserted if importing else None,
            new_word="to insert" if self.dry_run else "new",
        )

    @property
    def ascii_only(self) -> bool:
        return not self.console.encoding.lower().startswith("utf")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self.snapshot.elapsed_s = time.monotonic() - self.started
        yield fit(self.snapshot, options.max_width, self.ascii_only)

    def close(self) -> None:
        self.live.stop()
