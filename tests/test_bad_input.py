"""What a user sees when things go wrong, through the real command line (issue 6, SPEC §6):
bad input, database problems, Ctrl-C, and the --json summary. Every failure is one line on
stderr naming the file (or database), a distinct exit code, no traceback, and no change to
the database."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.pgserver import database_url
from koito_import.core.dburl import Database
from koito_import.sources.names import MAX_NAME_BYTES, TOO_LONG
from tests.conftest import FIXTURES, DatabaseFactory
from tests.support import CLI, catalog, cli, db_arg, import_files, rows

GOOD_EXPORT = FIXTURES / "maloja" / "export.json"
SPOTIFY_HISTORY = FIXTURES / "spotify" / "StreamingHistory_music_0.json"
LASTFM_CSV = FIXTURES / "lastfm" / "scrobbles.csv"
WHEN = 1_700_000_000  # a valid listen time
JSON_KEYS = {
    "read",
    "skipped",
    "skip_reasons",
    "inserted",
    "duplicates",
    "artists_created",
    "releases_created",
    "tracks_created",
    "elapsed_s",
}
EXIT_BAD_INPUT, EXIT_DATABASE, EXIT_INTERRUPTED = 3, 4, 130


# --- helpers -------------------------------------------------------------------------------


def assert_one_line_failure(
    result: subprocess.CompletedProcess[str], code: int, *fragments: str
) -> str:
    """Exit `code`, and a last stderr line (the reason) holding every fragment; no traceback,
    no colour. Returns that line."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert "\x1b[" not in result.stderr + result.stdout
    reason = result.stderr.strip().splitlines()[-1]
    assert reason.startswith("koito-import: ")
    for fragment in fragments:
        assert fragment in reason
    return reason


def scrobble(when: Any = WHEN, artists: Any = ("Artist",), title: Any = "Title") -> dict:
    artists = list(artists) if isinstance(artists, tuple) else artists
    track = {"artists": artists, "title": title, "album": {"albumtitle": "Album"}}
    return {"time": when, "track": track, "duration": None, "origin": "client:test"}


def maloja(path: Path, *scrobbles: dict) -> Path:
    """A Maloja export; json.dumps writes lone surrogates as \\udXXX escapes, as JS does."""
    path.write_text(json.dumps({"maloja": {"export_time": 1}, "scrobbles": list(scrobbles)}))
    return path


def spotify(path: Path, *entries: dict) -> Path:
    path.write_text(json.dumps(list(entries)))
    return path


def spotify_entry(track: Any = "Title", artist: Any = "Artist") -> dict:
    return {
        "endTime": "2023-11-14 22:13",
        "artistName": artist,
        "trackName": track,
        "msPlayed": 200_000,
    }


def listenbrainz(path: Path, *lines: str | dict) -> Path:
    """JSON Lines; a str is written as it is (to break it), a dict as JSON."""
    text = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    path.write_text("\n".join(text) + "\n")
    return path


def listen(artist: Any = "Artist", track: Any = "Title", when: Any = WHEN) -> dict:
    return {"listened_at": when, "track_metadata": {"artist_name": artist, "track_name": track}}


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def damaged_zip(path: Path) -> Path:
    """A zip whose one member's compressed data is overwritten: its CRC (or inflate) fails."""
    zip_of(path, {"export.json": GOOD_EXPORT.read_bytes()})
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    return path


def unreadable(path: Path) -> Path:
    """A path that no one can read as a file, root included: a FIFO (reading it would block)."""
    os.mkfifo(path)
    return path


def big_maloja(path: Path, count: int) -> Path:
    """Many listens of a modest catalog, so that batches are many and quick."""
    return maloja(
        path,
        *(scrobble(WHEN + 60 * i, [f"Artist {i % 97}"], f"Track {i % 331}") for i in range(count)),
    )


@pytest.fixture
def prepared(any_db: Database) -> Database:
    """A database after one good import, so "unchanged" means something."""
    import_files(any_db, "maloja", GOOD_EXPORT)
    return any_db


def names_in(db: Database) -> set[str]:
    return {name for (name,) in rows(db, "SELECT name FROM artists_with_name")} | {
        title for (title,) in rows(db, "SELECT title FROM tracks_with_title")
    }


# --- input that cannot be imported: exit 3, the file named, nothing written ---------------


@dataclass(frozen=True)
class Broken:
    source: str
    make: Callable[[Path], Path]  # writes the input under the given directory
    says: str  # a fragment of the one-line reason
    item: str = ""  # where in the file, when the reader can tell


BROKEN = {
    "missing file": Broken("maloja", lambda d: d / "nope.json", "no such file or directory"),
    "directory without exports": Broken(
        "maloja",
        lambda d: write(d / "notes.txt", "hello").parent,
        "no maloja files in this directory",
    ),
    "unreadable file": Broken(
        "maloja", lambda d: unreadable(d / "locked.json"), "cannot read the file"
    ),
    "spotify file given to maloja": Broken(
        "maloja",
        lambda d: write(d / "history.json", SPOTIFY_HISTORY.read_text()),
        "not a Maloja export",
    ),
    "maloja file given to spotify": Broken(
        "spotify",
        lambda d: write(d / "export.json", GOOD_EXPORT.read_text()),
        "not a Spotify streaming history",
    ),
    "maloja file given to koito": Broken(
        "koito",
        lambda d: write(d / "export.json", GOOD_EXPORT.read_text()),
        "not a Koito export",
    ),
    "spotify file given to lastfm": Broken(
        "lastfm",
        lambda d: write(d / "history.json", SPOTIFY_HISTORY.read_text()),
        "not a Last.fm recent-tracks export",
    ),
    "CSV given to listenbrainz": Broken(
        "listenbrainz",
        lambda d: write(d / "scrobbles.csv", LASTFM_CSV.read_text()),
        "not a ListenBrainz JSON Lines file",
    ),
    "CSV given to maloja": Broken(
        "maloja",
        lambda d: write(d / "scrobbles.csv", LASTFM_CSV.read_text()),
        "malformed JSON",
    ),
    "truncated JSON": Broken(
        "maloja",
        lambda d: write(
            d / "cut.json", maloja(d / "whole.json", *[scrobble()] * 3).read_text()[:-40]
        ),
        "malformed JSON",
        "after item #2",
    ),
    "malformed JSON": Broken(
        "maloja",
        lambda d: write(d / "bad.json", '{"scrobbles": [{"time": 1, ]}'),
        "malformed JSON",
    ),
    "malformed JSON in a spotify history": Broken(
        "spotify",
        lambda d: write(
            d / "StreamingHistory0.json",
            json.dumps([spotify_entry()] * 2)[:-1] + ', {"endTime": nope}]',
        ),
        "malformed JSON",
        "after item #2",
    ),
    "raw surrogate bytes (invalid UTF-8)": Broken(
        "maloja",
        lambda d: write(
            d / "cesu.json",
            maloja(d / "x.json", scrobble(artists=["Bj__rk"]))
            .read_bytes()
            .replace(b"__", b"\xed\xb3\xb6"),
        ),
        "malformed JSON",
    ),
    "corrupt zip": Broken(
        "maloja",
        lambda d: write(d / "export.zip", b"PK\x03\x04 not a zip"),
        "not a readable zip archive",
    ),
    "empty zip": Broken(
        "listenbrainz", lambda d: zip_of(d / "empty.zip", {}), "the zip archive holds no files"
    ),
    "damaged zip member": Broken(
        "maloja", lambda d: damaged_zip(d / "export.zip"), "export.zip:export.json"
    ),
}


@pytest.mark.parametrize("case", BROKEN.values(), ids=BROKEN.keys())
def test_input_that_cannot_be_read_fails_in_one_line_and_writes_nothing(
    prepared: Database, tmp_path: Path, case: Broken
) -> None:
    before = catalog(prepared)
    path = case.make(tmp_path)

    result = cli(case.source, path, db=prepared)

    reason = assert_one_line_failure(result, EXIT_BAD_INPUT, case.says, case.item)
    assert str(path) in reason
    assert catalog(prepared) == before


def test_debug_shows_no_traceback_for_bad_input(prepared: Database, tmp_path: Path) -> None:
    result = cli("maloja", tmp_path / "nope.json", "--debug", db=prepared)

    assert_one_line_failure(result, EXIT_BAD_INPUT, "no such file or directory")


def test_an_unexpected_error_is_one_line_and_debug_shows_its_traceback(
    sqlite_db: Database,
) -> None:
    """A bug (here a planted one) is exit 1 with a hint; --debug shows where it happened."""
    plant = (
        "import sys, koito_import.cli as cli, koito_import.commands.one_run as imports\n"
        "def broken(*args, **kwargs): raise RuntimeError('planted bug')\n"
        "imports.run_import = broken\n"
        "cli.app(sys.argv[1:], prog_name='koito-import')\n"
    )
    args = [sys.executable, "-c", plant, "maloja", str(GOOD_EXPORT), "--db", db_arg(sqlite_db)]

    plain = subprocess.run(args, capture_output=True, text=True, timeout=60)
    debug = subprocess.run([*args, "--debug"], capture_output=True, text=True, timeout=60)

    assert_one_line_failure(
        plain, 1, "unexpected error: RuntimeError: planted bug (run with --debug)"
    )
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr and "planted bug" in debug.stderr


# --- items that are merely invalid: skipped and counted; --strict fails, naming the item ----


@dataclass(frozen=True)
class Invalid:
    source: str
    make: Callable[[Path], Path]  # one good listen, then the invalid one
    reason: str  # the skip reason, as counted in --json
    item: str  # how the message names the item


INVALID = {
    "malformed JSONL line": Invalid(
        "listenbrainz",
        lambda d: listenbrainz(d / "listens.jsonl", listen(), '{"listened_at": 17'),
        "malformed JSON line",
        "listens.jsonl line 2",
    ),
    "CSV row with too few columns": Invalid(
        "lastfm",
        lambda d: write(d / "scrobbles.csv", "Band,Record,Song,14 Nov 2023 22:13\nOnly,Two\n"),
        "too few columns",
        "scrobbles.csv line 2",
    ),
    "malformed CSV row": Invalid(
        "lastfm",
        lambda d: write(
            d / "scrobbles.csv",
            'Band,Record,Song,14 Nov 2023 22:13\nA,B,"' + "x" * 200_000 + '",1\n',
        ),
        "malformed CSV row (field larger than field limit (131072))",
        "scrobbles.csv line 2",
    ),
    "100,000-character title": Invalid(
        "maloja",
        lambda d: maloja(d / "e.json", scrobble(), scrobble(title="x" * 100_000)),
        TOO_LONG,
        "e.json item #2",
    ),
    "artist name one byte too long": Invalid(
        "listenbrainz",
        lambda d: listenbrainz(
            d / "listens.jsonl", listen(), listen(artist="é" * (MAX_NAME_BYTES // 2) + "x")
        ),
        TOO_LONG,
        "listens.jsonl item #2",
    ),
    "missing timestamp": Invalid(
        "maloja",
        lambda d: maloja(d / "e.json", scrobble(), scrobble(when=None)),
        "no valid time",
        "e.json scrobble #2",
    ),
    "negative timestamp": Invalid(
        "maloja",
        lambda d: maloja(d / "e.json", scrobble(), scrobble(when=-5)),
        "time out of range",
        "e.json scrobble #2",
    ),
    "timestamp in the year 3000": Invalid(
        "maloja",
        lambda d: maloja(d / "e.json", scrobble(), scrobble(when=32_503_680_000)),
        "time out of range",
        "e.json scrobble #2",
    ),
    "unparseable timestamp": Invalid(
        "listenbrainz",
        lambda d: listenbrainz(d / "listens.jsonl", listen(), listen(when="yesterday")),
        "no valid time",
        "listens.jsonl line 2",
    ),
    "absurd timestamp in a CSV": Invalid(
        "lastfm",
        lambda d: write(
            d / "s.csv", "Band,Record,Song,14 Nov 2023 22:13\nA,B,C,01 Jan 3000 00:00\n"
        ),
        "time out of range",
        "s.csv line 2",
    ),
    "number as artist": Invalid(
        "maloja",
        lambda d: maloja(d / "e.json", scrobble(), scrobble(artists=[42])),
        "artist is not text",
        "e.json scrobble #2",
    ),
    "number as title": Invalid(
        "spotify",
        lambda d: spotify(d / "StreamingHistory0.json", spotify_entry(), spotify_entry(track=7)),
        "track title is not text",
        "StreamingHistory0.json item #2",
    ),
    "object as artist": Invalid(
        "listenbrainz",
        lambda d: listenbrainz(d / "listens.jsonl", listen(), listen(artist={"name": "X"})),
        "artist is not text",
        "listens.jsonl line 2",
    ),
}


@pytest.mark.parametrize("case", INVALID.values(), ids=INVALID.keys())
def test_an_invalid_item_is_skipped_and_counted_and_strict_refuses_it(
    prepared: Database, tmp_path: Path, case: Invalid
) -> None:
    before = catalog(prepared)
    path = case.make(tmp_path)

    strict = cli(case.source, path, "--strict", db=prepared)
    assert_one_line_failure(strict, EXIT_BAD_INPUT, case.item, case.reason, "(--strict)")
    assert catalog(prepared) == before

    lenient = cli(case.source, path, "--json", db=prepared)
    assert lenient.returncode == 0, lenient.stderr
    summary = json.loads(lenient.stdout)
    assert (summary["read"], summary["skipped"], summary["inserted"]) == (2, 1, 1)
    assert summary["skip_reasons"] == {case.reason: 1}


# --- broken names: cleaned and imported, never a crash --------------------------------------


@dataclass(frozen=True)
class Dirty:
    source: str
    make: Callable[[Path], Path]
    stored: str  # the name as the database holds it afterwards


LONG = "Ω" * 1000  # 2,000 bytes: Koito stores it whole
LONGEST = "é" * (MAX_NAME_BYTES // 2)  # the longest name Koito's PostgreSQL tables hold
DIRTY = {
    "NUL byte in a JSON name": Dirty(
        "maloja", lambda d: maloja(d / "e.json", scrobble(artists=["Nu\x00ll"])), "Null"
    ),
    "NUL byte in a JSONL name": Dirty(
        "listenbrainz",
        lambda d: listenbrainz(d / "l.jsonl", listen(track="Ti\x00tle 2")),
        "Title 2",
    ),
    "NUL byte in a CSV name": Dirty(
        "lastfm", lambda d: write(d / "s.csv", "Ar\x00tist 3,Album,Song,1700000000\n"), "Artist 3"
    ),
    "unpaired low surrogate in JSON": Dirty(
        "maloja", lambda d: maloja(d / "e.json", scrobble(artists=["Bj\udcf6rk"])), "Bj\ufffdrk"
    ),
    "unpaired high surrogate in JSON": Dirty(
        "spotify",
        lambda d: spotify(d / "StreamingHistory0.json", spotify_entry(track="x\ud800\ud800y")),
        "x\ufffd\ufffdy",
    ),
    "surrogate pair kept": Dirty(
        "maloja",
        lambda d: maloja(d / "e.json", scrobble(title="Smile \U0001f600")),
        "Smile \U0001f600",
    ),
    "unpaired surrogate in JSONL": Dirty(
        "listenbrainz",
        lambda d: listenbrainz(d / "l.jsonl", listen(artist="Sig\udc80ur")),
        "Sig\ufffdur",
    ),
    "1,000-character name stored whole": Dirty(
        "maloja",
        lambda d: maloja(d / "e.json", scrobble(artists=[LONG], title=LONG)),
        LONG,
    ),
    "longest name Koito's tables hold": Dirty(
        "lastfm",
        lambda d: write(d / "s.csv", f"{LONGEST},Album,Song,1700000000\n"),
        LONGEST,
    ),
}


@pytest.mark.parametrize("case", DIRTY.values(), ids=DIRTY.keys())
def test_broken_names_are_cleaned_and_imported(
    prepared: Database, tmp_path: Path, case: Dirty
) -> None:
    result = cli(case.source, case.make(tmp_path), "--json", "--strict", db=prepared)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["inserted"] == 1
    assert case.stored in names_in(prepared)


# --- database problems: exit 4 naming the database, before the input is blamed ------------


def _missing_pg_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    server = request.getfixturevalue("pg_server")
    return database_url(server, f"no_such_db_{uuid.uuid4().hex[:8]}")


def _not_koito(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    path = tmp_path / "recipes.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    return f"sqlite:///{path}"


def _not_a_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    path = tmp_path / "koito.db"
    path.write_bytes(b"this is not SQLite" * 100)
    return f"sqlite:///{path}"


BAD_DATABASES = [
    pytest.param(
        lambda r, d: "postgresql://postgres@127.0.0.1:1/x",
        "PostgreSQL postgresql://postgres@127.0.0.1:1/x: connection failed",
        id="unreachable PostgreSQL",
    ),
    pytest.param(_missing_pg_database, "does not exist", id="wrong database name"),
    pytest.param(
        lambda r, d: f"sqlite:///{d}/missing/koito.db",
        "missing does not exist",
        id="SQLite file in a missing directory",
    ),
    pytest.param(_not_koito, "it is not Koito's database", id="SQLite database not Koito's"),
    pytest.param(
        _not_a_database, "koito.db: file is not a database", id="SQLite file not a database"
    ),
]


@pytest.mark.parametrize("make_url, says", BAD_DATABASES)
def test_a_database_problem_exits_4_naming_the_database(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    make_url: Callable[[pytest.FixtureRequest, Path], str],
    says: str,
) -> None:
    url = make_url(request, tmp_path)

    result = cli("maloja", GOOD_EXPORT, db=url)

    reason = assert_one_line_failure(result, EXIT_DATABASE, says)
    shown = url.removeprefix("sqlite:///")
    assert shown in reason
    assert str(GOOD_EXPORT) not in reason  # the input is fine; the database is the problem
    # The database is checked before the input is read: a missing file is not even noticed.
    no_input = cli("maloja", tmp_path / "nope.json", db=url)
    assert_one_line_failure(no_input, EXIT_DATABASE, says)
    # A dry run fails exactly where the real run does, with the same message.
    dry = cli("maloja", GOOD_EXPORT, "--dry-run", db=url)
    assert assert_one_line_failure(dry, EXIT_DATABASE, says) == reason


def test_a_sqlite_dry_run_names_the_database_not_its_private_copy(sqlite_db: Database) -> None:
    import_files(sqlite_db, "maloja", GOOD_EXPORT)
    real = cli("maloja", GOOD_EXPORT, "--user", "nobody", db=sqlite_db)
    dry = cli("maloja", GOOD_EXPORT, "--user", "nobody", "--dry-run", db=sqlite_db)

    reason = assert_one_line_failure(real, EXIT_DATABASE, "nobody", sqlite_db.display())
    assert assert_one_line_failure(dry, EXIT_DATABASE) == reason


# --- Ctrl-C ------------------------------------------------------------------------------


def test_sigint_stops_after_a_whole_batch_and_the_same_command_finishes(
    fresh_db: DatabaseFactory, backend: str, tmp_path: Path
) -> None:
    total, batch = 20_000, 200
    export = big_maloja(tmp_path / "big.json", total)
    expected, interrupted = fresh_db(backend), fresh_db(backend)
    import_files(expected, "maloja", export, batch_size=batch)
    args = [*CLI, "maloja", str(export), "--db", db_arg(interrupted), "--batch-size", str(batch)]

    run = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert run.stderr is not None
    seen = []
    while "importing" not in (line := run.stderr.readline()) and line:
        seen.append(line)  # wait until the batches are being written
    run.send_signal(signal.SIGINT)
    stdout, stderr = run.communicate(timeout=120)

    assert run.returncode == EXIT_INTERRUPTED, "".join(seen) + stderr
    assert "Traceback" not in stderr
    assert "\x1b[" not in stdout + stderr
    assert "interrupted" in stderr.strip().splitlines()[-1]
    assert "interrupted" in stdout  # the summary's title says so too
    written = rows(interrupted, "SELECT count(*) FROM listens")[0][0]
    assert written % batch == 0 or written == total

    again = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert catalog(interrupted) == catalog(expected)


# --- --json and cron output --------------------------------------------------------------


def test_json_is_one_object_with_the_documented_keys_and_nothing_is_coloured(
    any_db: Database, tmp_path: Path
) -> None:
    export = maloja(tmp_path / "e.json", scrobble(), scrobble(when=None))

    as_json = cli("maloja", export, "--json", db=any_db)
    as_table = cli("maloja", export, db=any_db)

    assert as_json.returncode == 0, as_json.stderr
    assert len(as_json.stdout.strip().splitlines()) == 1
    summary = json.loads(as_json.stdout)
    assert isinstance(summary, dict) and summary.keys() >= JSON_KEYS
    assert {k: summary[k] for k in JSON_KEYS - {"elapsed_s"}} == {
        "read": 2,
        "skipped": 1,
        "skip_reasons": {"no valid time": 1},
        "inserted": 1,
        "duplicates": 0,
        "artists_created": 1,
        "releases_created": 1,
        "tracks_created": 1,
    }
    assert isinstance(summary["elapsed_s"], float)
    assert as_table.returncode == 0, as_table.stderr
    assert "duplicates" in as_table.stdout
    for output in (as_json.stdout, as_json.stderr, as_table.stdout, as_table.stderr):
        assert "\x1b[" not in output
