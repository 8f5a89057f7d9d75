"""A sync's progress: pages and listens fetched, listens/s, and an ETA from the total the
service reports (on a terminal the bar's own; in cron, in the plain line)."""

from __future__ import annotations

import sys
import time

from rich.console import Console

from koito_import.core.summary import Summary
from koito_import.importer.progress import PlainReporter, QuietReporter, RichReporter
from koito_import.importer.streaming import SyncSummary
from koito_import.sources.base import ByteCounter


def describe_sync(summary: SyncSummary, elapsed_s: float, eta: bool) -> str:
    f = summary.fetch
    rate = f.fetched / max(elapsed_s, 1e-9)
    said = f"page {f.pages:,}, {f.fetched:,} listens fetched"
    if f.total:
        said += f" of about {f.total:,}"
    said += f", {summary.inserted:,} new, {rate:,.0f} listens/s"
    if eta and f.total > f.fetched and rate > 0:
        said += f", about {(f.total - f.fetched) / rate:,.0f} s to go"
    return said


class SyncPlainReporter(PlainReporter):
    def progress(self, summary: Summary, counter: ByteCounter) -> None:
        now = time.monotonic()
        if not isinstance(summary, SyncSummary) or now - self.last < self.every_s:
            return
        self.last = now
        said = describe_sync(summary, now - self.stage_started, eta=True)
        print(f"koito-import: {said}", file=sys.stderr, flush=True)


class SyncRichReporter(RichReporter):
    def progress(self, summary: Summary, counter: ByteCounter) -> None:
        if not isinstance(summary, SyncSummary):
            return
        said = describe_sync(summary, time.monotonic() - self.stage_started, eta=False)
        total = max(counter.total, counter.done) or None  # the service's count is an estimate
        self.bar.update(self.task, total=total, completed=counter.done, said=said)


def sync_reporter(quiet: bool, console: Console) -> QuietReporter:
    if quiet:
        return QuietReporter()
    if console.is_terminal:
        return SyncRichReporter(console)
    return SyncPlainReporter()
