"""A sync (SPEC §9): a service's history written batch by batch as its pages arrive, through
the same planner, store and ledger as a file import, with bounded memory (a page and a batch).

There is no check pass: a service's history is read once, as it comes. What makes it exact is
the ledger's spans (ledger.cursors): each batch's transaction also records the span of time its
window has now fetched and committed, so a sync killed at any moment resumes from there, and
the next sync asks only for the gaps and the overlap. The window's upper bound is fixed when
the sync starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from koito_import import schema
from koito_import.catalog.batch import BatchBuilder, BatchPlanner, KeyedBatch
from koito_import.catalog.resolver import Resolver
from koito_import.core.summary import Summary
from koito_import.core.times import iso
from koito_import.importer.batches import write_batch
from koito_import.importer.options import ImportOptions, Reporter, skip_reason
from koito_import.importer.pipeline import default_user_warning, write_target
from koito_import.importer.reading import few_collections
from koito_import.ledger import cursors
from koito_import.ledger.listing import Ledger
from koito_import.ledger.recorder import RunRecorder
from koito_import.ledger.runs import COMPLETED, INTERRUPTED, RunFile
from koito_import.services.base import Feed, Fetched, ServiceError
from koito_import.sources.base import ByteCounter
from koito_import.store import open_store

FETCHING = "fetching"


@dataclass(frozen=True, slots=True)
class SyncPlan:
    upper: int  # the newest second asked for, fixed when the sync starts
    origin: int = 0  # the oldest (--after)
    overlap_s: int = 14 * 86_400
    full: bool = False  # ask for everything again, whatever the ledger says


@dataclass(slots=True)
class SyncSummary(Summary):
    service: str = ""
    account: str = ""
    fetch: Fetched = field(default_factory=Fetched)
    windows: list[cursors.Span] = field(default_factory=list)
    error: str | None = None  # the service's failure, after what was committed

    def as_json(self) -> dict[str, Any]:
        out = Summary.as_json(self)
        f = self.fetch
        out.update(service=self.service, account=self.account, fetched=f.fetched)
        out.update(requests=f.requests, retries=f.retries, pages=f.pages, newest=iso(f.newest))
        out.update(windows=[[iso(low), iso(high)] for low, high in self.windows])
        out["error"] = self.error
        return out


def run_sync(options: ImportOptions, feed: Feed, plan: SyncPlan, reporter: Reporter) -> SyncSummary:
    """Sync `feed` into `options.db`. A failure of the service ends the sync with `error` set,
    after everything committed before it (ServiceError before anything was written)."""
    started = time.monotonic()
    summary = SyncSummary(database=options.db.display(), dry_run=options.dry_run)
    summary.service, summary.account, summary.fetch = feed.source, feed.key.account, feed.stats
    reporter.stage("checking database")
    current = schema.check_usable(options.db)
    rehearse_on_server = options.dry_run and options.db.kind == "postgresql"
    if rehearse_on_server and current.state != "ready":
        raise schema.SchemaError(
            f"{options.db.display()} is not ready for imports ({current.state}); "
            "a dry run changes nothing, so run `koito-import db upgrade` first"
        )
    reporter.stage(f"asking {feed.shown}")
    feed.check()
    try:
        with write_target(options) as target:
            db_options = replace(options, db=target)
            if not current.current and not rehearse_on_server:
                for action in schema.ensure_ready(target):
                    summary.notes.append(action)
                    reporter.note(action)
            _sync(db_options, feed, plan, summary, reporter)
    except ServiceError as exc:
        summary.error = str(exc)
    summary.elapsed_s = time.monotonic() - started
    return summary


def _sync(
    options: ImportOptions, feed: Feed, plan: SyncPlan, summary: SyncSummary, reporter: Reporter
) -> None:
    store = open_store(options.db, options.workers, rehearsal=options.dry_run)
    try:
        with store.import_lock(options.wait_s):
            user = store.user(options.user, options.default_username, options.default_password)
            summary.user = user.username
            if user.created:
                summary.created_user = default_user_warning(user.username, options)
                summary.notes.append(summary.created_user)
            ledger = Ledger(store)
            summary.windows = _to_fetch(ledger, feed.key, plan)
            run = None
            if not options.dry_run:  # a dry run is no run, and moves no span
                files = [RunFile(feed.shown, 0, "")]
                run = RunRecorder.begin(ledger, feed.source, user.id, user.username, files, (0, 0))
                summary.run_id = run.run_id
            planner = BatchPlanner(store, Resolver(store, options.separators))
            writer = _Writer(planner, user.id, summary, run, ledger, feed.key)
            _recorded(writer, lambda: _windows(options, feed, writer, reporter))
    finally:
        store.close()


def _to_fetch(ledger: Ledger, key: cursors.SyncKey, plan: SyncPlan) -> list[cursors.Span]:
    """The windows this sync asks for, newest first."""
    if plan.full:
        return [(plan.origin, plan.upper)]
    with ledger.transaction(readonly=True) as conn:
        spans = cursors.covered(conn, ledger.sql, key)
    return cursors.windows(spans, plan.origin, plan.upper, plan.overlap_s)


def _recorded(writer: _Writer, work: Callable[[], None]) -> None:
    """Run `work`, and close the run in the ledger as it ended."""
    run, summary = writer.run, writer.summary
    try:
        work()
    except KeyboardInterrupt:
        if run is not None:
            run.finish(INTERRUPTED, summary.read, summary.skipped)
        raise
    except BaseException as exc:
        if run is not None:
            run.fail(summary.read, summary.skipped, exc)
        raise
    if run is not None:
        run.finish(COMPLETED, summary.read, summary.skipped)


def _windows(options: ImportOptions, feed: Feed, writer: _Writer, reporter: Reporter) -> None:
    summary = writer.summary
    reporter.stage(FETCHING)
    with few_collections() as batch_done:
        writer.batch_done = batch_done
        for low, high in summary.windows:
            _window(options, feed, writer, reporter, low, high)


def _window(
    options: ImportOptions, feed: Feed, writer: _Writer, reporter: Reporter, low: int, high: int
) -> None:
    summary = writer.summary
    builder = BatchBuilder(options.batch_size, options.separators)
    edge: int | None = None  # the oldest listen fetched so far (newest, pages ascending)
    for items in feed.pages(low, high):
        for item in items:
            summary.read += 1
            if (reason := skip_reason(item, options)) is not None:
                summary.skip(reason)
                continue
            at = item.listened_at
            edge = at if edge is None else min(edge, at) if feed.descending else max(edge, at)
            if (batch := builder.add(item)) is not None:
                # Every listen fetched so far is in this batch or before it; those of the
                # edge's own second may still be coming.
                span = (edge + 1, high) if feed.descending else (low, edge - 1)
                writer.write(batch, span)
        reporter.progress(summary, ByteCounter(feed.stats.total, feed.stats.fetched))
    writer.write(builder.flush(), (low, high))


class _Writer:
    """Writes batches as a file import does (planner, store.write, the run's ledger rows), and
    with each the span it completes, in the batch's own transaction."""

    def __init__(
        self,
        planner: BatchPlanner,
        user_id: int,
        summary: SyncSummary,
        run: RunRecorder | None,
        ledger: Ledger,
        key: cursors.SyncKey,
    ) -> None:
        self.planner, self.user_id, self.summary = planner, user_id, summary
        self.run, self.ledger, self.key = run, ledger, key
        self.batch_done: Callable[[], None] = lambda: None  # reading.few_collections'

    def write(self, batch: KeyedBatch | None, span: cursors.Span) -> None:
        if batch is not None:
            self._write(batch, span if span[0] <= span[1] else None)
            self.batch_done()
        elif self.run is not None and span[0] <= span[1]:
            with self.ledger.transaction() as conn:
                cursors.claim(conn, self.ledger.sql, self.key, span)

    def _write(self, batch: KeyedBatch, span: cursors.Span | None) -> None:
        """Written as a file's batch is; the span it completes is recorded in its
        transaction (by the part that ends it, when a running Koito makes it split)."""
        claim = None
        if self.run is not None and span is not None:

            def claim(conn: Any, written: Any) -> None:
                cursors.claim(conn, self.ledger.sql, self.key, span)

        write_batch(self.planner, batch, self.user_id, self.summary, self.run, claim)
