"""The SQLite import lock leaves no file behind (issue 21: `git status` showed it after the
README's first command) and stays exclusive although its file comes and goes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from koito_import.core.dburl import Database
from koito_import.store.sidecar_lock import SidecarLock
from tests.conftest import FIXTURES
from tests.support import cli

MALOJA = FIXTURES / "maloja" / "export.json"
REPO = Path(__file__).resolve().parent.parent


def test_nothing_is_left_beside_the_database(sqlite_db: Database) -> None:
    """No lock file, and no -wal or -shm either (a read-only connection, as `report` used,
    cannot remove those)."""
    commands = [("maloja", MALOJA), ("runs",), ("undo", "1"), ("maloja", MALOJA), ("report",)]
    for args in [*commands, ("db", "status")]:
        done = cli(*args, db=sqlite_db)
        assert done.returncode == 0, done.stderr
        assert sorted(os.listdir(sqlite_db.path.parent)) == ["koito.db"], args


def test_a_process_that_locked_a_removed_lock_file_tries_again(tmp_path: Path) -> None:
    """B opens the file while A holds it; A removes it and lets go; C creates a new one and
    locks it. B's flock on the old file now succeeds, but B must not count it as the lock."""
    db = tmp_path / "koito.db"
    db.touch()
    path = f"{db}.koito-import.lock"
    a, b, c = (SidecarLock(path, str(db)) for _ in range(3))
    assert a.try_lock()
    assert not b.try_lock()  # B holds a descriptor of A's file now
    a.release()
    assert not os.path.exists(path)
    assert c.try_lock()
    assert not b.try_lock()  # the old file was free, but it is not the lock any more
    assert not b.try_lock()  # now on C's file, which C holds
    c.release()
    assert not b.try_lock()  # C's file, removed too: B's next try creates one
    assert b.try_lock()
    b.release()
    assert not os.path.exists(path)


# Each child takes the lock ROUNDS times and, holding it, reads a counter, waits, writes it
# plus one: a second holder at any moment loses an increment.
CHILD = """
import os, sys, time
from koito_import.store.sidecar_lock import SidecarLock
db, counter, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
for _ in range(rounds):
    lock = SidecarLock(db + ".koito-import.lock", db)
    while not lock.try_lock():
        time.sleep(0.0005)
    with open(counter) as f:
        n = int(f.read())
    time.sleep(0.0005)
    with open(counter, "w") as f:
        f.write(str(n + 1))
    lock.release()
"""


def test_the_lock_stays_exclusive_while_its_file_comes_and_goes(tmp_path: Path) -> None:
    db, counter = tmp_path / "koito.db", tmp_path / "counter"
    db.touch()
    counter.write_text("0")
    processes, rounds = 4, 60
    children = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(CHILD), str(db), str(counter), str(rounds)],
            cwd=REPO,
        )
        for _ in range(processes)
    ]
    assert [child.wait(timeout=120) for child in children] == [0] * processes
    assert int(counter.read_text()) == processes * rounds
    assert sorted(os.listdir(tmp_path)) == ["counter", "koito.db"]
