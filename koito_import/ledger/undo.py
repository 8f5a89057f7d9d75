"""`koito-import undo RUN_ID`: take one run back, in one transaction (SPEC §6).

First the listens the run inserted go (those it found already there were never its own).
Then, of the entities it created, those nothing needs any more: tracks no listen is on,
then releases no track is on, then artists no track credits. Their aliases, artist links
and lookup rows go with them (Koito's cascades). Everything else stays, counted as kept:
an entity a later run, or Koito's own scrobbles, now use.

Entities kept by an earlier undo are looked at again each time, so undoing the run that kept
them alive removes them too. An artist is also kept when removing it would leave a release
that stays with no artist at all (Koito's trigger would delete that release, its tracks and
their listens). The run is marked `undone`; its listen rows leave the ledger.
"""

from __future__ import annotations

import time

from koito_import.core.dburl import Database
from koito_import.core.files import check_access
from koito_import.ledger.listing import Ledger, ledger_of
from koito_import.ledger.runs import UNDONE
from koito_import.ledger.undo_steps import Undone, UndoSteps
from koito_import.store import sqlite_rehearsal_copy

MAX_RUN_ID = 2**63 - 1  # run ids are 64-bit on both back ends


class UndoProblem(Exception):
    """The run cannot be undone (unknown id); the message says why."""


class _Rehearsal(Exception):
    """Raised inside the transaction of a dry run, so that it rolls back."""


def undo_run(db: Database, run_id: int, dry_run: bool = False, wait_s: float = 10.0) -> Undone:
    """Undo run `run_id` of `db`, under the import lock: no import runs meanwhile."""
    if not 0 < run_id <= MAX_RUN_ID:  # SQLite cannot even bind an id past 64 bits
        raise UndoProblem(_no_such_run(run_id))
    if dry_run and db.kind == "sqlite":
        # Rehearsed on a private snapshot: the rehearsal deletes as the undo would, and a
        # write transaction on Koito's own file for as long as that takes (seconds on a large
        # run) would outlast Koito's 5 s busy timeout. The copy holds only a read transaction
        # on the file, which in WAL mode blocks no writer.
        with sqlite_rehearsal_copy(db) as copy, ledger_of(copy) as ledger:
            if ledger is None:
                raise UndoProblem(_no_such_run(run_id))
            return undo(ledger, run_id, dry_run)
    if db.kind == "sqlite" and not dry_run:
        check_access(db.path, db.display(), write=True)
    with ledger_of(db) as ledger:
        if ledger is None:
            raise UndoProblem(_no_such_run(run_id))
        with ledger.store.import_lock(wait_s):
            return undo(ledger, run_id, dry_run)


def _no_such_run(run_id: int) -> str:
    return f"there is no run {run_id}; `koito-import runs` lists them"


def undo(ledger: Ledger, run_id: int, dry_run: bool = False) -> Undone:
    """Undo run `run_id` (the caller holds the import lock, so a run still marked `running`
    was cut short)."""
    if not dry_run:
        ledger.mark_interrupted()
    run = ledger.run(run_id)
    if run is None:
        raise UndoProblem(_no_such_run(run_id))
    if run.status == UNDONE:
        return Undone(run, dry_run, already=True)
    result = Undone(run, dry_run)
    try:
        with ledger.transaction() as conn:
            UndoSteps(ledger.sql, conn, run_id, result).apply()
            if dry_run:
                raise _Rehearsal
    except _Rehearsal:
        pass
    if not dry_run:
        run.status, run.undone_at = UNDONE, int(time.time())
    return result
