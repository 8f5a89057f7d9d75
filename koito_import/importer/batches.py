"""The import stage: each checked batch planned and written in one transaction, recorded in
the run's ledger, until the spool is empty or Ctrl-C asks to stop after the current batch."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

from koito_import.catalog.batch import BatchPlanner, KeyedBatch
from koito_import.core.summary import Summary
from koito_import.importer.options import IMPORTING, Reporter
from koito_import.importer.spool import Spool
from koito_import.ledger.claims import stamping
from koito_import.ledger.recorder import RunRecorder
from koito_import.ledger.replace import replacing
from koito_import.ledger.runs import COMPLETED, INTERRUPTED
from koito_import.sources.base import ByteCounter
from koito_import.store.base import (
    BatchWrite,
    CatalogChanged,
    StoreError,
    WithinWrite,
    Written,
)

REPLANS, REPLANS_ONE = 3, 20  # tries of a batch a running Koito overtook (then it is halved)


class _Stop:
    """Set by SIGINT: finish the batch being written, then stop."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: object) -> None:
        self.requested = True


def import_batches(
    planner: BatchPlanner,
    user_id: int,
    summary: Summary,
    reporter: Reporter,
    spool: Spool,
    batch_done: Callable[[], None],
    run: RunRecorder | None,
) -> None:
    done = ByteCounter(total=spool.listens)  # listens, from here on
    stop = _Stop()
    previous = _install(stop)
    reporter.stage(IMPORTING)
    reporter.progress(summary, done)
    try:
        for batch in spool:
            write_batch(planner, batch, user_id, summary, run)
            done.done += len(batch.listens)
            batch_done()
            reporter.progress(summary, done)
            if stop.requested:
                summary.interrupted = True
                break
    except BaseException as exc:
        if run is not None:
            run.fail(summary.read, summary.skipped, exc)
        raise
    finally:
        _restore(previous)
    if run is not None:
        status = INTERRUPTED if summary.interrupted else COMPLETED
        run.finish(status, summary.read, summary.skipped)


def write_batch(
    planner: BatchPlanner,
    batch: KeyedBatch,
    user_id: int,
    summary: Summary,
    run: RunRecorder | None,
    also: WithinWrite | None = None,
) -> None:
    """Plan and write one batch, counted in `summary`; `also` runs inside the transaction of
    the part that ends the batch (a sync records there the span of time it completes)."""
    for changes, written, size in _plan_and_write(planner, batch, user_id, summary, run, also):
        summary.landed.add(written.listens)
        _count(summary, changes, written.inserted, size)


def _plan_and_write(
    planner: BatchPlanner,
    batch: KeyedBatch,
    user_id: int,
    summary: Summary,
    run: RunRecorder | None,
    also: WithinWrite | None,
) -> Iterator[tuple[BatchWrite, Written, int]]:
    """Plan and write one batch: (changes, written, listens) for each part written. When a
    running Koito created meanwhile an entity the batch creates (store.concurrent), the batch
    is planned again; after a few tries it is split in two, so a busy Koito cannot starve it
    (a batch of one listen plans in milliseconds)."""
    size = len(batch.listens)
    tries = REPLANS if size > 1 else REPLANS_ONE
    for _ in range(tries):
        changes = planner.plan(batch, user_id)
        record = run and run.batch(size, summary.read, summary.skipped)
        kind = planner.store.kind
        within = _then(replacing(kind, changes.replaced, stamping(kind, record)), also)
        try:
            written = planner.store.write(changes, within)
        except CatalogChanged:
            continue
        yield changes, written, size
        return
    if size == 1:
        raise StoreError(
            f"the catalogue kept changing under one listen ({tries} tries): "
            "is something else importing into the database?"
        )
    first, second = batch.halves()
    yield from _plan_and_write(planner, first, user_id, summary, run, None)
    yield from _plan_and_write(planner, second, user_id, summary, run, also)


def _then(first: WithinWrite | None, second: WithinWrite | None) -> WithinWrite | None:
    if first is None or second is None:
        return first or second

    def both(conn: Any, written: Written) -> None:
        first(conn, written)
        second(conn, written)

    return both


def _count(summary: Summary, changes: BatchWrite, inserted: int, listens: int) -> None:
    summary.batches += 1
    summary.inserted += inserted
    summary.duplicates += listens - inserted
    summary.artists_created += len(changes.artists)
    summary.releases_created += len(changes.releases)
    summary.tracks_created += len(changes.tracks)
    summary.minute_duplicates += changes.minute_duplicates
    summary.minute_replaced += len(changes.replaced)


def _install(stop: _Stop) -> object:
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, stop)


def _restore(previous: object) -> None:
    if previous is not None:
        signal.signal(signal.SIGINT, previous)  # type: ignore[arg-type]
