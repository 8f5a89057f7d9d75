"""Beside a Koito in Docker (issue 21): the database belongs to Koito's user, koito-import runs
as root from cron. Files it creates beside the database take the database's owner, group and
mode (or its folder's, for a new database), so Koito can still open them; a database the
running user cannot use is one line naming the file, its owner and the user, exit 4.

These tests run as root, as the project's tests do here (.ci/run, the container). To be a
user who may not touch another's files without needing a second Python installation that
user could read, the denied cases run root's own interpreter with the capabilities that let
root ignore file modes dropped (setpriv): root then gets exactly the access its uid 0 has."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from koito_import import schema
from koito_import.core.dburl import Database
from koito_import.store.sqlite import SqliteStore
from tests.conftest import FIXTURES
from tests.support import CLI, catalogue_batch

MALOJA = FIXTURES / "maloja" / "export.json"
KOITO = (1000, 1000)  # the container's user, as Koito's image runs it
NO_OVERRIDE = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]


@pytest.fixture(autouse=True)
def _as_root() -> None:
    assert os.geteuid() == 0, "these tests need root (they chown files to another user)"


def owner(path: Path) -> tuple[int, int, int]:
    info = path.stat()
    return info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)


def koito_folder(tmp_path: Path, mode: int = 0o770) -> Path:
    """Koito's bind-mounted config folder, owned by the container's user."""
    folder = tmp_path / "koito"
    folder.mkdir()
    os.chown(folder, *KOITO)
    folder.chmod(mode)
    return folder


def koito_database(tmp_path: Path, mode: int = 0o660, folder_mode: int = 0o770) -> Database:
    """Koito's database, made by Koito's user: upgraded, owned 1000:1000 with `mode`."""
    folder = koito_folder(tmp_path, folder_mode)
    db = Database("sqlite", str(folder / "koito.db"))
    schema.upgrade(db)
    for path in folder.iterdir():
        os.chown(path, *KOITO)
        path.chmod(mode)
    return db


def run(*args: str | Path, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(prefix or []), *CLI, *map(str, args)], capture_output=True, text=True, timeout=120
    )


def test_a_new_database_in_koitos_folder_is_koitos(tmp_path: Path) -> None:
    folder = koito_folder(tmp_path)
    done = run("db", "upgrade", "--db", folder / "koito.db")
    assert done.returncode == 0, done.stderr
    assert owner(folder / "koito.db") == (*KOITO, 0o660)  # the folder's rw bits, no x
    done = run("maloja", MALOJA, "--db", folder / "koito.db", "--quiet")
    assert done.returncode == 0, done.stderr
    assert {owner(p)[:2] for p in folder.iterdir()} == {KOITO}


def test_files_beside_the_database_take_its_owner_and_mode(tmp_path: Path) -> None:
    db = koito_database(tmp_path)
    store = SqliteStore(db)
    try:
        with store.import_lock(0):
            lock = Path(f"{db.path}.koito-import.lock")
            assert owner(lock) == (*KOITO, 0o660)
            store.write(catalogue_batch(store.user(None, "admin", "changeme").id))
            # SQLite itself gives its -wal and -shm the database's owner when run as root.
            for sidecar in ("-wal", "-shm"):
                assert owner(Path(f"{db.path}{sidecar}")) == (*KOITO, 0o660), sidecar
    finally:
        store.close()
    done = run("maloja", MALOJA, "--db", db.path, "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["inserted"] > 0
    assert {owner(p) for p in db.path.parent.iterdir()} == {(*KOITO, 0o660)}


WRITERS = [("maloja", MALOJA), ("undo", "1"), ("db", "upgrade")]
READERS = [("db", "status"), ("runs",), ("report",), ("maloja", MALOJA, "--dry-run")]


@pytest.mark.parametrize("args", WRITERS + READERS, ids=lambda a: " ".join(map(str, a)))
def test_a_database_root_may_not_write_is_one_line_and_exit_4(
    tmp_path: Path, args: tuple[str | Path, ...]
) -> None:
    """Read-only to others (0644 in a 0755 folder): no command can use it, since SQLite in WAL
    mode creates -shm beside the file even to read; each says whose it is, and who runs."""
    db = koito_database(tmp_path, mode=0o644, folder_mode=0o755)
    for path in db.path.parent.iterdir():
        if path != db.path:
            path.unlink()  # no -wal or -shm left over: a reader would have to create them
    before = db.path.read_bytes()
    done = run(*args, "--db", db.path, prefix=NO_OVERRIDE)
    assert done.returncode == 4, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines[-1]) > 0 and lines[-1].startswith("koito-import: cannot ")
    message = lines[-1]
    assert str(db.path) in message and "(1000:1000, mode " in message
    assert "runs as root (uid 0)" in message
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr
    assert db.path.read_bytes() == before
    assert sorted(p.name for p in db.path.parent.iterdir()) == ["koito.db"]


@pytest.mark.parametrize("args", WRITERS[:1] + READERS, ids=lambda a: " ".join(map(str, a)))
def test_a_folder_root_may_not_enter_names_the_folder(
    tmp_path: Path, args: tuple[str | Path, ...]
) -> None:
    db = koito_database(tmp_path, folder_mode=0o750)
    os.chown(db.path.parent, 1000, 1000)
    done = run(*args, "--db", db.path, prefix=NO_OVERRIDE)
    assert done.returncode == 4, done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert (
        f"its folder {db.path.parent} is owned by" in message
        and "(1000:1000, mode 0750)" in message
    )


def test_a_database_the_user_may_write_works_without_root_powers(tmp_path: Path) -> None:
    """The other side: the check refuses only what SQLite would refuse."""
    db = koito_database(tmp_path, mode=0o666, folder_mode=0o777)
    done = run("maloja", MALOJA, "--db", db.path, "--quiet", prefix=NO_OVERRIDE)
    assert done.returncode == 0, done.stderr


def test_the_inbox_makes_import_complete_koitos(tmp_path: Path) -> None:
    """Koito moves the files it imported into import_complete/ too, as its own user."""
    db = koito_database(tmp_path)
    inbox = db.path.parent / "import"
    inbox.mkdir()
    shutil.copy(MALOJA, inbox / "maloja.json")
    os.chown(inbox, *KOITO)
    inbox.chmod(0o750)
    done = run("inbox", inbox, "--db", db.path, "--settle", "0", "--quiet")
    assert done.returncode == 0, done.stderr
    assert owner(db.path.parent / "import_complete") == (*KOITO, 0o750)
    assert {owner(p) for p in db.path.parent.iterdir() if p.is_file()} == {(*KOITO, 0o660)}
