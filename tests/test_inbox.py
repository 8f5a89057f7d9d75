"""Koito's import folder, as cron empties it (issue 22, items 1 and 7; issue 21): a file is
taken only once it has settled, a truncated file changes nothing, import_complete/ goes beside
the folder as Koito puts it, a file that cannot be moved is not imported every run, and an
overlapping run is no failure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from koito_import.core.dburl import Database
from koito_import.core.summary import Summary
from koito_import.importer import inbox
from tests.conftest import FIXTURES
from tests.support import CLI, db_arg, value

MALOJA = FIXTURES / "maloja" / "export.json"
LB_NOVEMBER = FIXTURES / "listenbrainz" / "export" / "listens" / "2023" / "11.jsonl"


def settle(*paths: Path, age_s: float = 120) -> None:
    """As if nothing had written to the files for `age_s` seconds."""
    then = time.time() - age_s
    for path in paths:
        os.utime(path, (then, then))


def run_inbox(
    folder: Path | None, db: Database, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    where = [] if folder is None else [str(folder)]
    return subprocess.run(
        [*CLI, "inbox", *where, "--db", db_arg(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def listens(db: Database) -> int:
    if db.kind == "sqlite" and not db.path.exists():
        return 0
    if db.kind == "postgresql" and value(db, "SELECT to_regclass('listens')") is None:
        return 0
    return value(db, "SELECT count(*) FROM listens")


def runs(db: Database) -> int:
    if db.kind == "sqlite" and not db.path.exists():
        return 0
    return value(db, "SELECT count(*) FROM koito_import_runs")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "config" / "import"
    made.mkdir(parents=True)
    return made


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    return Database("sqlite", str(tmp_path / "config" / "koito.db"))


# --- item 1: only a settled file -----------------------------------------------------------


def test_a_file_still_being_written_is_left_for_the_next_run(
    any_db: Database, folder: Path
) -> None:
    """The issue's CSV copied in two halves with a pause: the first half is not imported."""
    lines = (FIXTURES / "lastfm" / "scrobbles.csv").read_text().splitlines(keepends=True)
    half = folder / "scrobbles.csv"
    half.write_text("".join(lines[: len(lines) // 2]))  # just written: modified now
    empty = folder / "recenttracks.json"
    empty.touch()
    settle(empty)  # empty however old: a copy that has not started writing

    done = run_inbox(folder, any_db)

    assert done.returncode == 0, done.stderr
    for path in (half, empty):
        assert f"{path}: still being written, left for the next run" in done.stderr
        assert path.exists()
    assert not (folder.parent / "import_complete").exists()
    assert listens(any_db) == 0

    # The copy finishes, a minute passes: the whole file is imported, once.
    half.write_text("".join(lines))
    settle(half)
    as_json = run_inbox(folder, any_db, "--json", "--quiet")
    assert as_json.returncode == 0, as_json.stderr
    reports = {Path(r["path"]).name: r for r in map(json.loads, as_json.stdout.splitlines())}
    assert reports["recenttracks.json"]["status"] == "waiting"
    assert "still being written" in reports["recenttracks.json"]["left"]
    assert reports["scrobbles.csv"]["status"] == "imported"
    assert reports["scrobbles.csv"]["read"] == len(lines)  # no header in this fixture
    assert (folder.parent / "import_complete" / "scrobbles.csv").exists()


def test_settle_takes_the_seconds_given(folder: Path, sqlite_db: Database) -> None:
    shutil.copy(MALOJA, folder / "maloja_export.json")
    settle(folder / "maloja_export.json", age_s=10)

    assert "still being written" in run_inbox(folder, sqlite_db).stderr
    done = run_inbox(folder, sqlite_db, "--settle", "5", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["inserted"] == 9


def test_a_file_written_to_while_it_is_imported_is_not_moved(tmp_path: Path) -> None:
    folder = tmp_path / "import"
    folder.mkdir()
    growing = folder / "scrobbles.csv"
    growing.write_text("A,B,C,1700000000\n")
    settle(growing)

    def attempt(path: Path, source: str) -> Summary:
        with path.open("a") as more:  # the copy goes on meanwhile
            more.write("A,B,D,1700000100\n")
        return Summary(database="x", run_id=1)

    [outcome] = inbox.empty(folder, attempt, lambda exc: (1, str(exc)), settle_s=60)

    assert outcome.status == "waiting" and "changed while it was imported" in str(outcome.left)
    assert outcome.code == 0 and growing.exists()


# --- item 1: a truncated or malformed file changes nothing ----------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        # a JSON Lines file cut inside its last line
        ("listenbrainz.jsonl", LB_NOVEMBER.read_text()[:-30]),
        # a CSV cut inside its last row: the date is gone
        ("scrobbles.csv", "A,Alb,One,1700000000\nB,Alb,Two,1700000100\nC,Alb,Thr"),
        # ... or half of it
        ("scrobbles2.csv", "A,Alb,One,2023-11-14 22:13\nB,Alb,Two,2023-11-1"),
    ],
)
def test_a_file_cut_mid_line_changes_nothing(
    folder: Path, sqlite_db: Database, name: str, text: str
) -> None:
    cut = folder / name
    cut.write_text(text)
    settle(cut)

    done = run_inbox(folder, sqlite_db, "--quiet")

    assert done.returncode == 3, done.stderr
    assert "looks truncated" in done.stderr and "the file stays" in done.stderr
    assert cut.exists() and listens(sqlite_db) == 0 and runs(sqlite_db) == 0


def test_a_csv_cut_at_a_line_end_cannot_be_told_from_a_shorter_export(
    folder: Path, sqlite_db: Database
) -> None:
    """What the README says cannot be detected: every line there is whole."""
    cut = folder / "scrobbles.csv"
    cut.write_text("A,Alb,One,1700000000\nB,Alb,Two,1700000100\n")
    settle(cut)

    done = run_inbox(folder, sqlite_db, "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["inserted"] == 2


# --- item 7: import_complete/ and overlapping runs ------------------------------------------


def test_inbox_dot_puts_import_complete_beside_the_folder(
    folder: Path, sqlite_db: Database
) -> None:
    shutil.copy(MALOJA, folder / "maloja_export.json")
    settle(folder / "maloja_export.json")

    done = run_inbox(Path("."), sqlite_db, cwd=folder)

    assert done.returncode == 0, done.stderr
    assert not (folder / "import_complete").exists()
    assert (folder.parent / "import_complete" / "maloja_export.json").exists()


def test_an_import_complete_that_is_a_file_stops_before_importing(
    folder: Path, sqlite_db: Database
) -> None:
    shutil.copy(MALOJA, folder / "maloja_export.json")
    settle(folder / "maloja_export.json")
    (folder.parent / "import_complete").write_text("not a folder")

    for _ in range(2):  # every cron run: the same message, and nothing imported again
        done = run_inbox(folder, sqlite_db, "--quiet")

        assert done.returncode == 3, done.stderr
        assert "import_complete: is not a folder" in done.stderr
        assert "unexpected" not in done.stderr
        assert (folder / "maloja_export.json").exists()
        assert runs(sqlite_db) == 0 and listens(sqlite_db) == 0


def test_a_file_moved_away_by_an_overlapping_run_is_no_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second of two cron runs listed the files; the first moves each away meanwhile."""
    folder = tmp_path / "import"
    folder.mkdir()
    for name in ("a.json", "b.json", "c.json"):
        (folder / name).write_text("{}")
    settle(*folder.iterdir())
    other = tmp_path / "import_complete"
    other.mkdir()
    monkeypatch.setattr(inbox, "detect", lambda path: "maloja")

    def attempt(path: Path, source: str) -> Summary:
        if path.name == "c.json":  # taken before its import: reading finds it gone
            path.rename(other / path.name)
            raise FileNotFoundError(path)
        summary = Summary(database="x", run_id=1)
        if path.name == "b.json":  # taken after its import (all duplicates): moving fails
            path.rename(other / path.name)
        return summary

    listed = inbox.pending(folder)
    monkeypatch.setattr(inbox, "pending", lambda _: listed)
    (folder / "a.json").rename(other / "a.json")  # taken once listed, before it is looked at
    outcomes = inbox.empty(folder, attempt, lambda e: (1, str(e)))

    assert [(o.path.name, o.status, o.code) for o in outcomes] == [
        ("a.json", "taken", 0),
        ("b.json", "taken", 0),
        ("c.json", "taken", 0),
    ]


def test_two_overlapping_inbox_runs_import_each_file_once(
    folder: Path, sqlite_db: Database
) -> None:
    for n in range(6):
        shutil.copy(MALOJA, folder / f"maloja_{n}.json")
    settle(*folder.iterdir())
    command = [*CLI, "inbox", str(folder), "--db", db_arg(sqlite_db), "--quiet", "--wait", "60"]
    first = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    errors = [first.communicate(timeout=120)[1], second.communicate(timeout=120)[1]]

    assert (first.returncode, second.returncode) == (0, 0), errors
    assert not list(folder.iterdir())
    assert len(list((folder.parent / "import_complete").iterdir())) == 6
    assert listens(sqlite_db) == 9


# --- issue 21: a file for a folder, and the closing list ------------------------------------


def test_inbox_given_a_file_says_what_to_run_instead(folder: Path, sqlite_db: Database) -> None:
    export = folder / "maloja_export.json"
    shutil.copy(MALOJA, export)

    done = run_inbox(export, sqlite_db)

    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "is a file, not a folder" in line and f"koito-import auto {export}" in line


def test_inbox_names_what_failed_again_at_the_end(folder: Path, sqlite_db: Database) -> None:
    (folder / "a_broken.json").write_text('{"scrobbles": [')
    (folder / "b_broken.csv").write_text("A,Alb,One,1700000000\nB,Alb")
    shutil.copy(MALOJA, folder / "c_maloja.json")
    settle(*folder.iterdir())

    done = run_inbox(folder, sqlite_db)

    assert done.returncode == 3
    tail = done.stderr.strip().splitlines()[-3:]
    assert tail[0] == "koito-import: 2 of 3 files failed and stay:"
    assert "a_broken.json" in tail[1] and "b_broken.csv" in tail[2]
