"""The import, stage by stage (SPEC §5).

A reader thread streams the input, normalizes it and cuts it into batches, handing them over
a small bounded queue, so parsing overlaps with the database work of the previous batch.
The main thread plans each batch (catalog.batch) and writes it in one transaction, so a
crash at any moment leaves only whole batches behind and the same command completes the job.
"""

from __future__ import annotations

import queue
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from koito_import import schema
from koito_import.catalog.batch import BatchPlanner
from koito_import.catalog.resolver import Resolver
from koito_import.dburl import Database
from koito_import.ledger import COMPLETED, INTERRUPTED, Ledger, RunRecorder, input_files
from koito_import.model import Scrobble, Skip
from koito_import.sources import input_size, read_inputs
from koito_import.sources.base import ByteCounter, Item, SourceOptions
from koito_import.store import open_store, sqlite_rehearsal_copy
from koito_import.store.base import BatchWrite, CatalogChanged, Store, StoreError, Written
from koito_import.summary import Summary

KEEP_CHECKED_ITEMS = 100_000  # about 50 MB of parsed scrobbles
REPLANS, REPLANS_ONE = 3, 20  # tries of a batch a running Koito overtook (then it is halved)


class Reporter(Protocol):
    def stage(self, name: str) -> None: ...
    def note(self, text: str) -> None: ...
    def progress(self, summary: Summary, counter: ByteCounter) -> None: ...


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
    reporter.stage("checking input")
    checked = _check_input(options)
    with _target(options) as target:
        _write(replace(options, db=target), summary, reporter, checked, rehearse_on_server)
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
    checked: list[Item] | None,
    rehearse_on_server: bool,
) -> None:
    files = None if options.dry_run else input_files(options.paths, options.source)
    if not rehearse_on_server:
        for action in schema.ensure_ready(options.db):
            _note(summary, reporter, action)
    store = open_store(options.db, options.workers, rehearsal=options.dry_run)
    try:
        with store.import_lock(options.wait_s):
            user = store.user(options.user, options.default_username, options.default_password)
            summary.user = user.username
            if user.created:
                summary.created_user = _default_user_warning(user.username, options)
                _note(summary, reporter, summary.created_user)
            run = None
            if files is not None:  # a dry run is no run: nothing of it is kept
                run = Ledger(store).begin(options.source, user.id, user.username, files)
                summary.run_id = run.run_id
            _import_batches(options, store, user.id, summary, reporter, checked, run)
    finally:
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


def _note(summary: Summary, reporter: Reporter, text: str) -> None:
    if summary.dry_run:
        text = f"(dry run, not kept) {text}"
    summary.notes.append(text)
    reporter.note(text)


def _check_input(options: ImportOptions) -> list[Item] | None:
    """Read everything once before writing: a file that turns out to be broken halfway must
    not leave half of itself in the database. Small inputs are kept, so they are not parsed
    twice; large ones are read again while importing."""
    kept: list[Item] | None = []
    for item in read_inputs(options.source, options.paths, ByteCounter(), options.source_options):
        if isinstance(item, Skip) and options.strict:
            raise StrictSkip(f"{item.where}: {item.reason} (--strict)")
        if kept is not None:
            kept.append(item)
            if len(kept) > KEEP_CHECKED_ITEMS:
                kept = None
    return kept


def _import_batches(
    options: ImportOptions,
    store: Store,
    user_id: int,
    summary: Summary,
    reporter: Reporter,
    checked: list[Item] | None,
    run: RunRecorder | None,
) -> None:
    planner = BatchPlanner(store, Resolver(store, options.separators))
    counter = ByteCounter(total=input_size(options.paths, options.source))
    stop = _Stop()
    previous = _install(stop)
    reporter.stage("importing")
    try:
        for batch in _batches(options, counter, summary, checked):
            for changes, written, size in _plan_and_write(
                planner, store, batch, user_id, summary, run
            ):
                summary.landed.add(written.listens)
                _count(summary, changes, written.inserted, size)
            reporter.progress(summary, counter)
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
    store: Store,
    batch: list[Scrobble],
    user_id: int,
    summary: Summary,
    run: RunRecorder | None,
) -> Iterator[tuple[BatchWrite, Written, int]]:
    """Plan and write one batch: (changes, written, listens) for each part written. When a
    running Koito created meanwhile an entity the batch creates (store.concurrent), the batch
    is planned again; after a few tries it is split in two, so a busy Koito cannot starve it
    (a batch of one listen plans in milliseconds)."""
    tries = REPLANS if len(batch) > 1 else REPLANS_ONE
    for _ in range(tries):
        changes = planner.plan(batch, user_id)
        record = run and run.batch(len(batch), summary.read, summary.skipped)
        try:
            written = store.write(changes, record)
        except CatalogChanged:
            continue
        yield changes, written, len(batch)
        return
    if len(batch) == 1:
        raise StoreError(
            f"the catalogue kept changing under one listen ({tries} tries): "
            "is something else importing into the database?"
        )
    half = len(batch) // 2
    yield from _plan_and_write(planner, store, batch[:half], user_id, summary, run)
    yield from _plan_and_write(planner, store, batch[half:], user_id, summary, run)


def _count(summary: Summary, changes: BatchWrite, inserted: int, listens: int) -> None:
    summary.batches += 1
    summary.inserted += inserted
    summary.duplicates += listens - inserted
    summary.artists_created += len(changes.artists)
    summary.releases_created += len(changes.releases)
    summary.tracks_created += len(changes.tracks)


def _batches(
    options: ImportOptions, counter: ByteCounter, summary: Summary, checked: list[Item] | None
) -> Iterator[list[Scrobble]]:
    """Batches from a reader thread; an input error there is raised here."""
    handoff: queue.Queue[list[Scrobble] | BaseException | None] = queue.Queue(maxsize=2)
    abandoned = threading.Event()

    def hand_over(item: list[Scrobble] | BaseException | None) -> bool:
        while not abandoned.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in _read_batches(options, counter, summary, checked):
                if not hand_over(batch):
                    return
            hand_over(None)
        except BaseException as exc:  # handed to the main thread, which reports it
            hand_over(exc)

    thread = threading.Thread(target=produce, name="reader", daemon=True)
    thread.start()
    try:
        while (got := handoff.get()) is not None:
            if isinstance(got, BaseException):
                raise got
            yield got
    finally:
        abandoned.set()
        thread.join()


def _read_batches(
    options: ImportOptions, counter: ByteCounter, summary: Summary, checked: list[Item] | None
) -> Iterator[list[Scrobble]]:
    if checked is None:
        items = read_inputs(options.source, options.paths, counter, options.source_options)
    else:
        items, counter.done = iter(checked), counter.total
    batch: list[Scrobble] = []
    for item in items:
        summary.read += 1
        if isinstance(item, Skip):
            summary.skip(item.reason)
        elif not _in_window(item, options):
            summary.skip("outside --after/--before")
        else:
            batch.append(item)
            if len(batch) >= options.batch_size:
                yield batch
                batch = []
    if batch:
        yield batch


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
