"""The import, stage by stage (SPEC §5).

First the whole input is read and checked, once: a file that turns out to be broken halfway
changes nothing. The check pass groups the listens into batches by lookup key and keeps them
(koito_import.importer.spool). Then each batch is planned (catalog.batch) and written in one
transaction, so a crash at any moment leaves only whole batches behind and the same command
completes the job. One thread does it all: a parser thread beside the database work would
only fight it for the GIL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import replace
from functools import partial

from koito_import import schema
from koito_import.catalog.batch import BatchPlanner
from koito_import.catalog.resolver import Resolver
from koito_import.core.dburl import Database
from koito_import.core.files import check_access
from koito_import.core.summary import Summary, same_play_notes
from koito_import.importer.batches import import_batches
from koito_import.importer.options import ImportOptions, Reporter
from koito_import.importer.reading import checked_input, few_collections
from koito_import.importer.users import check_user_first
from koito_import.importer.waiting import import_lock
from koito_import.ledger.listing import Ledger
from koito_import.ledger.recorder import RunRecorder, input_files
from koito_import.store import open_store, sqlite_rehearsal_copy
from koito_import.store.base import Store


def run_import(options: ImportOptions, reporter: Reporter) -> Summary:
    """Import `options.paths` into `options.db`; a dry run writes into a throw-away copy
    (SQLite) or a transaction that is rolled back (PostgreSQL), after the same checks of the
    database and the input as a real run."""
    started = time.monotonic()
    summary = Summary(database=options.db.display(), dry_run=options.dry_run)
    reporter.stage("checking database")
    if options.db.kind == "sqlite" and not options.dry_run:
        check_access(options.db.path, options.db.display(), write=True)
    current = schema.check_usable(options.db)  # a database problem shows before the input
    if not options.create:
        schema.refuse_to_create(current, options.db)
    check_user_first(options.db, options.user, current)  # and before the schema is created
    rehearse_on_server = options.dry_run and options.db.kind == "postgresql"
    if rehearse_on_server and current.state != "ready":
        raise schema.SchemaError(
            f"{options.db.display()} is not ready for imports ({current.state}); "
            "a dry run changes nothing, so run `koito-import db upgrade` first"
        )
    with write_target(options) as target:
        _write(replace(options, db=target), summary, reporter, current, rehearse_on_server)
    summary.elapsed_s = time.monotonic() - started
    return summary


def write_target(options: ImportOptions) -> AbstractContextManager[Database]:
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
            few_collections() as batch_done,
            checked_input(
                options, summary, reporter, planner, batch_done, _meanwhile(store, options)
            ) as spool,
        ):
            if store is None:
                if not rehearse_on_server:
                    for action in schema.ensure_ready(options.db, defer_indexes=True):
                        _note(summary, reporter, action)
                store = open_store(options.db, options.workers, rehearsal=options.dry_run)
                planner = _planner(store, options)
            assert planner is not None
            with import_lock(store, options.wait_s, reporter):
                user = store.user(options.user, options.default_username, options.default_password)
                summary.user = user.username
                if user.created:
                    # Not a progress note: the command line shows it once, last.
                    warning = default_user_warning(user.username, options)
                    summary.created_user = _keep_note(summary, warning)
                run = None
                if files is not None:  # a dry run is no run: nothing of it is kept
                    settled = (summary.batches, summary.duplicates)
                    run = RunRecorder.begin(
                        Ledger(store), options.source, user.id, user.username, files, settled
                    )
                    summary.run_id = run.run_id
                with _indexes_after(options, current, reporter):
                    import_batches(planner, user.id, summary, reporter, spool, batch_done, run)
                for text in same_play_notes(summary):
                    _note(summary, reporter, text)
    finally:
        if store is not None:
            store.close()


@contextmanager
def _indexes_after(
    options: ImportOptions, current: schema.SchemaStatus, reporter: Reporter
) -> Iterator[None]:
    """A database this run creates is loaded without Koito's secondary indexes, which are
    built once, here, at the end (schema.deferred); also after Ctrl-C or a failure, so that
    only a crash leaves them to the next run. A dry run's copy is thrown away unbuilt."""
    pending = current.indexes_pending or current.state in ("missing", "empty")
    failed = True
    try:
        yield
        failed = False
    finally:
        if pending and not options.dry_run:
            reporter.stage("building Koito's indexes")
            try:
                schema.finish_indexes(options.db)
            except schema.SchemaError:
                if not failed:
                    raise  # else the first error is the one to tell; the next run builds them


def default_user_warning(username: str, options: ImportOptions) -> str:
    password = (
        "Koito's default password 'changeme'"
        if options.default_password == "changeme"
        else "the password in KOITO_DEFAULT_PASSWORD"
    )
    return (
        f"created Koito's default user {username!r} with {password}: change that password "
        "in Koito before exposing Koito to anyone"
    )


def _meanwhile(store: Store | None, options: ImportOptions) -> Callable[[], None] | None:
    """While another process reads a large input: load what creating the schema needs."""
    return None if store is not None else partial(schema.preload, options.db)


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
