"""The check pass in a reader process (importer.worker): the same database as reading in one
process, input errors told the same way with nothing written, and Ctrl-C while reading."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from koito_import.importer import worker
from koito_import.importer.options import StrictSkip
from koito_import.sources.base import InputError
from tests.conftest import DatabaseFactory
from tests.support import CLI, catalog, cli, db_arg, import_files, value
from tests.test_bad_input import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    assert_one_line_failure,
    big_maloja,
)


@pytest.fixture
def always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every input, however small, read by a reader process (in this test's process)."""
    monkeypatch.setattr(worker, "WORKER_MIN_BYTES", 0)


def _never(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "WORKER_MIN_BYTES", 1 << 62)


def test_the_reader_process_builds_the_same_database(
    fresh_db: DatabaseFactory, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = big_maloja(tmp_path / "big.json", 3000)
    here, there = fresh_db(backend), fresh_db(backend)
    _never(monkeypatch)
    alone = import_files(here, "maloja", export, batch_size=200, before=1_700_000_000 + 60 * 2000)
    monkeypatch.setattr(worker, "WORKER_MIN_BYTES", 0)
    forked = import_files(there, "maloja", export, batch_size=200, before=1_700_000_000 + 60 * 2000)

    assert catalog(there) == catalog(here)
    for key in ("read", "skipped", "skip_reasons", "inserted", "batches", "tracks_created"):
        assert forked.as_json()[key] == alone.as_json()[key], key
    again = import_files(there, "maloja", export, batch_size=200)
    assert (again.inserted, again.artists_created) == (999, 0)  # bounds inclusive
    again = import_files(there, "maloja", export, batch_size=200)
    assert (again.inserted, again.duplicates) == (0, 3000)


@pytest.mark.usefixtures("always")
def test_an_input_error_in_the_reader_is_the_same_exception_and_writes_nothing(
    fresh_db: DatabaseFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = big_maloja(tmp_path / "big.json", 2000)
    broken = tmp_path / "broken.json"
    broken.write_bytes(export.read_bytes()[:-300])  # cut inside the last scrobbles
    db = fresh_db("sqlite")

    with pytest.raises(InputError) as in_reader:
        import_files(db, "maloja", broken)
    _never(monkeypatch)
    with pytest.raises(InputError) as in_process:
        import_files(db, "maloja", broken)

    assert str(in_reader.value) == str(in_process.value)
    assert (in_reader.value.where, in_reader.value.problem) == (
        in_process.value.where,
        in_process.value.problem,
    )
    assert not db.path.exists()  # not even Koito's schema was created


@pytest.mark.usefixtures("always")
def test_strict_in_the_reader_is_the_same_refusal(sqlite_db, tmp_path: Path) -> None:
    from tests.test_bad_input import maloja, scrobble

    export = maloja(tmp_path / "x.json", scrobble(), scrobble(artists=[]))
    with pytest.raises(StrictSkip, match=r"\(--strict\)"):
        import_files(sqlite_db, "maloja", export, strict=True)


def test_a_large_broken_input_exits_3_in_one_line_from_the_command(
    fresh_db: DatabaseFactory, tmp_path: Path
) -> None:
    export = big_maloja(tmp_path / "big.json", 60_000)
    assert export.stat().st_size > worker.WORKER_MIN_BYTES  # read by the reader process
    broken = tmp_path / "broken.json"
    broken.write_bytes(export.read_bytes()[:-300])
    db = fresh_db("sqlite")

    result = cli("maloja", broken, db=db)

    assert_one_line_failure(result, EXIT_BAD_INPUT, str(broken), "malformed JSON")
    assert not db.path.exists()


def test_ctrl_c_while_the_reader_reads_stops_both_and_writes_nothing(
    fresh_db: DatabaseFactory, backend: str, tmp_path: Path
) -> None:
    export = big_maloja(tmp_path / "big.json", 200_000)
    assert export.stat().st_size > worker.WORKER_MIN_BYTES
    db = fresh_db(backend)
    args = [*CLI, "maloja", str(export), "--db", db_arg(db)]
    run = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    assert run.stderr is not None
    while "reading the input" not in (line := run.stderr.readline()) and line:
        pass
    time.sleep(0.3)
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=120)

    assert run.returncode == EXIT_INTERRUPTED, stderr
    assert "Traceback" not in stderr
    with pytest.raises(ProcessLookupError):  # the reader process is gone too
        os.killpg(run.pid, 0)
    if backend == "sqlite":
        assert not db.path.exists()
    else:
        assert value(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'listens'") == 0
