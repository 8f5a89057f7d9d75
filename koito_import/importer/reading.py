"""The check pass: every item read and checked once, before anything is written, and the
listens to import grouped into batches and kept in a Spool."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from koito_import.catalog.batch import BatchBuilder, BatchPlanner, KeyedBatch
from koito_import.core.model import Scrobble, Skip
from koito_import.core.summary import Summary
from koito_import.importer.options import ImportOptions, Reporter, StrictSkip
from koito_import.importer.spool import Spool
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
) -> Iterator[Spool]:
    """Read and check every item once, before anything is written; the listens to import,
    grouped into batches, are kept in a Spool for the import stage. With a `planner`, batches
    found in the database already are counted and dropped here, for as long as they come:
    a re-import then reads its input and nothing more."""
    reporter.stage("reading the input")
    counter = ByteCounter(total=input_size(options.paths, options.source))
    builder = BatchBuilder(options.batch_size, options.separators)
    spool = Spool.for_input(counter.total)
    settling = planner is not None

    def keep(batch: KeyedBatch) -> None:
        nonlocal settling
        if settling and planner is not None and planner.settled(batch):
            summary.batches += 1
            summary.duplicates += len(batch.listens)
        else:
            settling = False  # the rest is new, as in a growing export imported again
            spool.append(batch)
        batch_done()
        reporter.progress(summary, counter)

    try:
        items = read_inputs(options.source, options.paths, counter, options.source_options)
        for item in items:
            summary.read += 1
            if isinstance(item, Skip):
                if options.strict:
                    raise StrictSkip(f"{item.where}: {item.reason} (--strict)")
                summary.skip(item.reason)
            elif not _in_window(item, options):
                summary.skip("outside --after/--before")
            elif (batch := builder.add(item)) is not None:
                keep(batch)
        if (batch := builder.flush()) is not None:
            keep(batch)
        yield spool
    finally:
        spool.close()


def _in_window(s: Scrobble, options: ImportOptions) -> bool:
    """Both bounds are inclusive, as in Koito's KOITO_IMPORT_AFTER/BEFORE_UNIX."""
    if options.after is not None and s.listened_at < options.after:
        return False
    return options.before is None or s.listened_at <= options.before
