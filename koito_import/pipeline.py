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
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from koito_import import schema
from koito_import.catalog.batch import BatchBuilder, BatchPlanner, KeyedBatch
from koito_import.catalog.resolver import Resolver
from koito_import.dburl import Database
from koito_import.ledger import COMPLETED, INTERRUPTED, Ledger, RunRecorder, input_files
from koito_import.model import Scrobble, Skip
from koito_import.sources import input_size, read_inputs
from koito_import.sources.base import ByteCounter, SourceOptions
from koito_import.spool import Spool
from koito_import.store import open_store, sqlite_rehearsal_copy
from koito_import.store.base import BatchWrite, CatalogChanged, Store, StoreError, Written
from koito_import.summary import Summary

REPLANS, REPLANS_ONE = 3, 20  # tries of a batch a running Koito overtook (then it is halved)
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
    (SQLite) or a transaction that is rolled back (PostgreSQL), after the same checks of the
    database and the input as a real run."""
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
    with _target(options) as target:
        _write(replace(options, db=target), summary, reporter, current, rehearse_on_server)
    summary.elapsed_s = time.monotonic() - started
    return summary


def _target(options: ImportOptions) -> AbstractContextManager[Database]:
    """Where the import writes: the database, or for a SQLite dry run a private copy of it."""
    if options.dry_run and options.db.kind == "sqlite":
        return sqlite_rehearsal_copy(options.db)
    return nullcontext(options.db)


def _write(
    options: ImportOptions,
    summary: Summary,
    reporter: Reporter,
    current: schema.SchemaStatus,
    rehearse_on_server: bool,
) -> None:
    files = None if options.dry_run else input_files(options.paths, options.source)
    # A database ready already is opened before the input is read, so that a re-import can
    # drop the batches it finds there while checking (see BatchPlanner.settled).
    store = (
        open_store(options.db, options.workers, rehearsal=options.dry_run)
        if current.current
        else None
    )
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
                    # Not a progress note: the command line shows it once, last.
                    warning = _default_user_warning(user.username, options)
                    summary.created_user = _keep_note(summary, warning)
                run = None
                if files is not None:  # a dry run is no run: nothing of it is kept
                    settled = (summary.batches, summary.duplicates)
                    run = Ledger(store).begin(
                        options.source, user.id, user.username, files, settled
                    )
                    summary.run_id = run.run_id
                _import_batches(planner, user.id, summary, reporter, spool, batch_done, run)
    finally:
        if store is not None:
            store.close()


def _default_user_warning(username: str, options: ImportOptions) -> str:
    password = (
        "Koito's default password 'changeme'"
        if options.default_password == "changeme"
        else "the password in KOITO_DEFAULT_PASSWORD"
    )
    return (
        f"created Koito's default user {username!r} with {password}: change that password "
        "in Koito before exposing Koito to anyone"
    )


def _planner(store: Store | None, options: ImportOptions) -> BatchPlanner | None:
    return None if store is None else BatchPlanner(store, Resolver(store, options.separators))


def _note(summary: Summary, reporter: Reporter, text: str) -> None:
    reporter.note(_keep_note(summary, text))


def _keep_note(summary: Summary, text: str) -> str:
    """The note as the summary keeps it (for --json), and as it is shown."""
    if summary.dry_run:
        text = f"(dry run, not kept) {text}"
    summary.notes.append(text)
    return text


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


def _import_batches(
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
            for changes, written, size in _plan_and_write(planner, batch, user_id, summary, run):
                summary.landed.add(written.listens)
                _count(summary, changes, written.inserted, size)
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


def _plan_and_write(
    planner: BatchPlanner,
    batch: KeyedBatch,
    user_id: int,
    summary: Summary,
    run: RunRecorder | None,
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
        try:
            written = planner.store.write(changes, record)
        except CatalogChanged:
            continue
        yield changes, written, size
        return
    if size == 1:
        raise StoreError(
            f"the catalogue kept changing under one listen ({tries} tries): "
            "is something else importing into the database?"
        )
    for half in batch.halves():
        yield from _plan_and_write(planner, half, user_id, summary, run)


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
