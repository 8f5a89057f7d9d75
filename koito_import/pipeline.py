"""The import, stage by stage (SPEC §5).

First the whole input is read and checked, once: a file that turns out to be broken halfway
changes nothing. The check pass groups the listens into batches by lookup key and keeps them
(koito_import.spool). Then each batch is planned (catalog.batch) and written in one
transaction, so a crash at any moment leaves only whole batches behind and the same command
completes the job. One thread does it all: a parser thread beside the database work would
only fight it for the GIL.
"""

from __future__ import annotations

import gc
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from koito_import import schema
from koito_import.catalog.batch import BatchBuilder, BatchPlanner, KeyedBatch
from koito_import.catalog.resolver import Resolver
from koito_import.dburl import Database
from koito_import.model import Scrobble, Skip
from koito_import.sources import input_size, read_inputs
from koito_import.sources.base import ByteCounter, SourceOptions
from koito_import.spool import Spool
from koito_import.store import open_store, sqlite_rehearsal_copy
from koito_import.store.base import BatchWrite, Store
from koito_import.summary import Summary

COLLECT_EVERY_BATCHES = 20
IMPORTING = "importing"  # the stage whose progress counts listens rather than input bytes


class Reporter(Protocol):
    def stage(self, name: str) -> None: ...
    def note(self, text: str) -> None: ...
    def progress(self, summary: Summary, counter: ByteCounter) -> None:
        """While reading, `counter` counts input bytes; while importing, listens."""
        ...


class StrictSkip(Exception):
    """--strict: an item was skipped."""


@dataclass(slots=True)
class ImportOptions:
    source: str
    paths: list[Path]
    db: Database
    user: str | None = None
    after: int | None = None
    before: int | None = None
    workers: int = 2
    batch_size: int = 5000
    separators: list[re.Pattern[str]] = field(default_factory=list)
    source_options: SourceOptions = field(default_factory=SourceOptions)
    dry_run: bool = False
    strict: bool = False
    wait_s: float = 10.0
    default_username: str = "admin"
    default_password: str = "changeme"


class _Stop:
    """Set by SIGINT: finish the batch being written, then stop."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: object) -> None:
        self.requested = True


def run_import(options: ImportOptions, reporter: Reporter) -> Summary:
    """Import `options.paths` into `options.db`; a dry run writes into a throw-away copy
    (SQLite) or a transaction that is rolled back (PostgreSQL)."""
    if options.dry_run and options.db.kind == "sqlite":
        with sqlite_rehearsal_copy(options.db) as copy:
            summary = _run(replace(options, db=copy), reporter)
        summary.database = options.db.display()
        return summary
    return _run(options, reporter)


def _run(options: ImportOptions, reporter: Reporter) -> Summary:
    started = time.monotonic()
    summary = Summary(database=options.db.display(), dry_run=options.dry_run)
    reporter.stage("checking database")
    current = schema.check_usable(options.db)  # a database problem shows before the input
    rehearse_on_server = options.dry_run and options.db.kind == "postgresql"
    if rehearse_on_server and current.state != "ready":
        raise schema.SchemaError(
            f"{options.db.display()} is not ready for imports ({current.state}); "
            "a dry run changes nothing, so run `koito-import db upgrade` first"
        )
    # A database ready already is opened before the input is read, so that a re-import can
    # drop the batches it finds there while checking (see BatchPlanner.settled).
    ready = current.state == "ready" and current.revision == schema.head()
    store = open_store(options.db, options.workers, rehearsal=options.dry_run) if ready else None
    try:
        planner = _planner(store, options)
        with (
            _few_collections() as batch_done,
            _checked_input(options, summary, reporter, planner, batch_done) as spool,
        ):
            if store is None:
                if not rehearse_on_server:
                    for action in schema.ensure_ready(options.db):
                        _note(summary, reporter, action)
                store = open_store(options.db, options.workers, rehearsal=options.dry_run)
                planner = _planner(store, options)
            assert planner is not None
            with store.import_lock(options.wait_s):
                user = store.user(options.user, options.default_username, options.default_password)
                summary.user = user.username
                if user.created:
                    _note(summary, reporter, f"created Koito's default user {user.username!r}")
                _import_batches(planner, user.id, summary, reporter, spool, batch_done)
    finally:
        if store is not None:
            store.close()
        summary.elapsed_s = time.monotonic() - started
    return summary


def _planner(store: Store | None, options: ImportOptions) -> BatchPlanner | None:
    return None if store is None else BatchPlanner(store, Resolver(store, options.separators))


def _note(summary: Summary, reporter: Reporter, text: str) -> None:
    if summary.dry_run:
        text = f"(dry run, not kept) {text}"
    summary.notes.append(text)
    reporter.note(text)


@contextmanager
def _few_collections() -> Iterator[Callable[[], None]]:
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
def _checked_input(
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
    builder = BatchBuilder(options.batch_size)
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


def _import_batches(
    planner: BatchPlanner,
    user_id: int,
    summary: Summary,
    reporter: Reporter,
    spool: Spool,
    batch_done: Callable[[], None],
) -> None:
    done = ByteCounter(total=spool.listens)  # listens, from here on
    stop = _Stop()
    previous = _install(stop)
    reporter.stage(IMPORTING)
    reporter.progress(summary, done)
    try:
        for batch in spool:
            changes = planner.plan(batch, user_id)
            inserted = planner.store.write(changes)
            _count(summary, changes, inserted, len(batch.listens))
            done.done += len(batch.listens)
            batch_done()
            reporter.progress(summary, done)
            if stop.requested:
                summary.interrupted = True
                break
    finally:
        _restore(previous)


def _count(summary: Summary, changes: BatchWrite, inserted: int, listens: int) -> None:
    summary.batches += 1
    summary.inserted += inserted
    summary.duplicates += listens - inserted
    summary.artists_created += len(changes.artists)
    summary.releases_created += len(changes.releases)
    summary.tracks_created += len(changes.tracks)


def _in_window(s: Scrobble, options: ImportOptions) -> bool:
    """Both bounds are inclusive, as in Koito's KOITO_IMPORT_AFTER/BEFORE_UNIX."""
    if options.after is not None and s.listened_at < options.after:
        return False
    return options.before is None or s.listened_at <= options.before


def _install(stop: _Stop) -> object:
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, stop)


def _restore(previous: object) -> None:
    if previous is not None:
        signal.signal(signal.SIGINT, previous)  # type: ignore[arg-type]
