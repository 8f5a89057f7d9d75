"""Taking the import lock, and saying whom a run waits for while another import holds it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from koito_import.importer.options import Reporter
from koito_import.ledger.listing import Ledger
from koito_import.ledger.runs import RUNNING
from koito_import.store.base import LockHeld, Store, StoreError


def lock_holder(store: Store) -> str:
    """The import holding the lock, as the ledger knows it: its newest run still running
    (an `undo`, or an older koito-import, holds the lock with no such run)."""
    try:
        runs = Ledger(store).runs(limit=5)
    except StoreError:
        return "another import"
    for run in runs:
        if run.status == RUNNING:
            started = time.strftime("%Y-%m-%d %H:%M", time.gmtime(run.started_at))
            return f"another import (run {run.id}, started {started} UTC)"
    return "another import"


@contextmanager
def import_lock(store: Store, wait_s: float, reporter: Reporter) -> Iterator[None]:
    """Hold the store's import lock; while another import holds it, the progress line says
    whom this run waits for (not a frozen bar of the stage before)."""
    with ExitStack() as stack:
        try:
            stack.enter_context(store.import_lock(0))
        except LockHeld:
            holder = lock_holder(store)
            reporter.stage(f"waiting for {holder}")
            try:
                stack.enter_context(store.import_lock(wait_s))
            except LockHeld as exc:
                raise LockHeld(f"{exc} (waited {wait_s:g} s for {holder})") from exc
        yield
