"""The check pass: every item read and checked once, before anything is written, and the
listens to import grouped into batches and kept in a Spool."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from koito_import.catalog.batch import BatchBuilder, BatchPlanner, KeyedBatch
from koito_import.core.summary import Summary
from koito_import.importer import worker
from koito_import.importer.options import ImportOptions, Reporter, skip_reason
from koito_import.importer.spool import Spool, unpickled
from koito_import.sources import input_size, read_inputs
from koito_import.sources.base import ByteCounter

COLLECT_EVERY_BATCHES = 20


@contextmanager
def few_collections() -> Iterator[Callable[[], None]]:
    """An import allocates millions of small objects and creates no reference cycles (it was
    measured: collections between batches find nothing), yet Python's cyclic collector runs
    every 700 allocations and would cost a third of the parsing. It is off during an import;
    the function yielded, called after every batch, runs a young collection now and then, so
    that memory stays bounded even if a cycle ever appears."""
    was_enabled = gc.isenabled()
    gc.disable()
    batches = 0

    def batch_done() -> None:
        nonlocal batches
        batches += 1
        if batches % COLLECT_EVERY_BATCHES == 0:
            gc.collect(1)

    try:
        yield batch_done
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def checked_input(
    options: ImportOptions,
    summary: Summary,
    reporter: Reporter,
    planner: BatchPlanner | None,
    batch_done: Callable[[], None],
    meanwhile: Callable[[], None] | None = None,
) -> Iterator[Spool]:
    """Read and check every item once, before anything is written; the listens to import,
    grouped into batches, are kept in a Spool for the import stage. With a `planner`, batches
    found in the database already are counted and dropped here, for as long as they come:
    a re-import then reads its input and nothing more. Without a `planner`, a large input is
    read by a process of its own (importer.worker) while this one runs `meanwhile` (work that
    needs no input and writes nothing)."""
    reporter.stage("reading the input")
    counter = ByteCounter(total=input_size(options.paths, options.source))
    spool = Spool.for_input(counter.total)
    settling = planner is not None

    def keep(batch: KeyedBatch | bytes, listens: int) -> None:
        nonlocal settling
        if settling and planner is not None:
            whole = batch if isinstance(batch, KeyedBatch) else unpickled(batch)
            if planner.settled(whole):
                summary.batches += 1
                summary.duplicates += listens
                return
            settling = False  # the rest is new, as in a growing export imported again
        spool.append(batch, listens)

    try:
        # Only while the schema is still to create: with a ready database the settled checks
        # overlap too little reading to pay for the batches' trip between processes
        # (measured on seed-49k again: the same wall time for a quarter more CPU).
        if planner is None and worker.wanted(counter.total):
            _read_in_worker(options, summary, reporter, counter, keep, batch_done, meanwhile)
        else:
            _read_here(options, summary, reporter, counter, keep, batch_done)
        yield spool
    finally:
        spool.close()


def _read_in_worker(
    options: ImportOptions,
    summary: Summary,
    reporter: Reporter,
    counter: ByteCounter,
    keep: Callable[[KeyedBatch | bytes, int], None],
    batch_done: Callable[[], None],
    meanwhile: Callable[[], None] | None,
) -> None:
    """The check pass in a reader process (importer.worker); here, what needs no input."""
    reader = worker.Reader(options, counter.total)
    try:
        if meanwhile is not None:
            meanwhile()
        for report in reader.reports():
            summary.read = report.read
            summary.skip_reasons = Counter(report.skips)
            summary.skipped = sum(report.skips.values())
            counter.done = report.bytes_done
            if report.blob is not None:
                keep(report.blob, report.listens)
                batch_done()
            reporter.progress(summary, counter)
    finally:
        reader.close()


def _read_here(
    options: ImportOptions,
    summary: Summary,
    reporter: Reporter,
    counter: ByteCounter,
    keep: Callable[[KeyedBatch | bytes, int], None],
    batch_done: Callable[[], None],
) -> None:
    """The check pass in this process: for small inputs, where a process is not worth it."""
    builder = BatchBuilder(options.batch_size, options.separators)

    def done(batch: KeyedBatch) -> None:
        keep(batch, len(batch.listens))
        batch_done()
        reporter.progress(summary, counter)

    items = read_inputs(options.source, options.paths, counter, options.source_options)
    for item in items:
        summary.read += 1
        if (reason := skip_reason(item, options)) is not None:
            summary.skip(reason)
        elif (batch := builder.add(item)) is not None:
            done(batch)
    if (batch := builder.flush()) is not None:
        done(batch)
