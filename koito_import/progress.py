"""Showing an import as it runs: rich bars on a terminal, plain lines in cron, or nothing."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from koito_import.sources.base import ByteCounter
from koito_import.summary import Summary


class QuietReporter:
    def stage(self, name: str) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def progress(self, summary: Summary, counter: ByteCounter) -> None:
        pass

    def close(self) -> None:
        pass


class PlainReporter(QuietReporter):
    """One line per stage and at most one progress line every few seconds, on stderr."""

    def __init__(self, every_s: float = 5.0) -> None:
        self.every_s = every_s
        self.started = time.monotonic()
        self.last = 0.0

    def stage(self, name: str) -> None:
        print(f"koito-import: {name}", file=sys.stderr, flush=True)

    def note(self, text: str) -> None:
        print(f"koito-import: {text}", file=sys.stderr, flush=True)

    def progress(self, summary: Summary, counter: ByteCounter) -> None:
        now = time.monotonic()
        if now - self.last < self.every_s:
            return
        self.last = now
        rate = summary.read / max(now - self.started, 1e-9)
        share = f" ({100 * counter.done / counter.total:.0f}% of input)" if counter.total else ""
        print(
            f"koito-import: read {summary.read:,}{share}, inserted {summary.inserted:,}, "
            f"{rate:,.0f} listens/s",
            file=sys.stderr,
            flush=True,
        )


class RichReporter(QuietReporter):
    """A live bar over the input bytes, with records read, listens/s and the current stage."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = time.monotonic()
        self.bar = Progress(
            TextColumn("[bold]{task.fields[stage]}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[read]:,} read · {task.fields[inserted]:,} new"),
            TextColumn("{task.fields[rate]:,.0f} listens/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.task = self.bar.add_task(
            "import", total=None, stage="starting", read=0, inserted=0, rate=0.0
        )
        self.bar.start()

    def stage(self, name: str) -> None:
        self.bar.update(self.task, stage=name)

    def note(self, text: str) -> None:
        self.console.print(f"[cyan]•[/] {text}")

    def progress(self, summary: Summary, counter: ByteCounter) -> None:
        rate = summary.read / max(time.monotonic() - self.started, 1e-9)
        self.bar.update(
            self.task,
            total=counter.total or None,
            completed=counter.done,
            read=summary.read,
            inserted=summary.inserted,
            rate=rate,
        )

    def close(self) -> None:
        self.bar.stop()
