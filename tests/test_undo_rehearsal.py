"""`undo --dry-run` on SQLite takes no write lock on Koito's file (issue 22, suspected item):
the rehearsal deletes on a private copy, so Koito's writes never wait on it, however long it
takes; its counts are those of the real undo."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from koito_import.core.dburl import Database
from koito_import.ledger.undo import undo_run
from koito_import.ledger.undo_steps import UndoSteps
from tests.conftest import FIXTURES
from tests.support import import_files, value

MALOJA = FIXTURES / "maloja" / "export.json"


def test_koito_can_write_while_an_undo_is_rehearsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database("sqlite", str(tmp_path / "koito.db"))
    import_files(db, "maloja", MALOJA)
    koito_wrote: list[bool] = []
    rehearse = UndoSteps.apply

    def apply_then_koito_writes(self: UndoSteps) -> None:
        rehearse(self)  # the rehearsal's deletes are done, its transaction still open
        koito = sqlite3.connect(db.path, timeout=0, isolation_level=None)  # no waiting
        try:
            koito.execute("BEGIN IMMEDIATE")
            koito.execute("UPDATE users SET username = username")
            koito.execute("COMMIT")
            koito_wrote.append(True)
        finally:
            koito.close()

    monkeypatch.setattr(UndoSteps, "apply", apply_then_koito_writes)
    rehearsal = undo_run(db, 1, dry_run=True)

    assert koito_wrote == [True]
    assert rehearsal.listens_removed == 9 and rehearsal.dry_run
    assert value(db, "SELECT count(*) FROM listens") == 9  # nothing changed
    assert value(db, "SELECT status FROM koito_import_runs WHERE id = 1") == "completed"
    monkeypatch.undo()
    real = undo_run(db, 1)
    assert real.as_json() | {"dry_run": True} == rehearsal.as_json() | {
        "undone_at": real.as_json()["undone_at"]
    }
    assert value(db, "SELECT count(*) FROM listens") == 0
