"""Plausible input that once gave a traceback or aborted a whole file (issue 22, item 6):
a time in milliseconds, ids past 64 bits, a time written with a non-ASCII digit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from koito_import.core.dburl import Database
from tests.conftest import FIXTURES
from tests.support import cli, import_files

EXPORT = FIXTURES / "maloja" / "export.json"
HUGE = "99999999999999999999"  # past 64 bits


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def imported_sqlite(tmp_path: Path) -> Database:
    db = Database("sqlite", str(tmp_path / "koito.db"))
    import_files(db, "maloja", EXPORT, create=True)
    return db


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_report_bound_in_milliseconds_is_named_as_such(
    imported_sqlite: Database, option: str
) -> None:
    done = cli("report", option, "1700000000000", db=imported_sqlite)

    assert done.returncode == 2
    assert "looks like milliseconds" in one_line(done.stderr)
    assert "1700000000" in done.stderr  # what to type instead


def test_import_bound_in_milliseconds_is_named_as_such(imported_sqlite: Database) -> None:
    done = cli("maloja", EXPORT, "--after", "1700000000000", db=imported_sqlite)

    assert done.returncode == 2
    assert "looks like milliseconds" in one_line(done.stderr)


def test_a_bound_past_year_9999_is_refused_on_one_line(imported_sqlite: Database) -> None:
    done = cli("report", "--since", HUGE, db=imported_sqlite)

    assert done.returncode == 2
    assert "out of range" in one_line(done.stderr)


@pytest.mark.parametrize("run_id", [HUGE, "9223372036854775808"])
def test_undo_of_an_id_past_64_bits_is_an_unknown_run(
    imported_sqlite: Database, run_id: str
) -> None:
    for dry in ((), ("--dry-run",)):
        done = cli("undo", run_id, *dry, db=imported_sqlite)

        assert done.returncode == 2, done.stderr
        assert f"there is no run {run_id}" in one_line(done.stderr)


def test_runs_limit_past_64_bits_is_refused_on_one_line(imported_sqlite: Database) -> None:
    done = cli("runs", "--limit", HUGE, db=imported_sqlite)

    assert done.returncode == 2
    assert "--limit" in one_line(done.stderr)
    assert cli("runs", "--limit", "0", db=imported_sqlite).returncode == 0


def _lastfm_csv(path: Path) -> Path:
    path.write_text(
        "artist,album,track,date\n"
        "A,Alb,One,1700000000\n"
        "B,Alb,Two,²\n"  # a superscript two: isdigit() says yes, int() says no
        "C,Alb,Three,١٧٠٠٠٠٠٠٠٠\n"  # Arabic-Indic digits: not a unix time either
        "D,Alb,Four,1700000300\n"
    )
    return path


def _listenbrainz_jsonl(path: Path) -> Path:
    def listen(when: object, track: str) -> str:
        meta = {"artist_name": "A", "track_name": track, "release_name": "Alb"}
        return json.dumps({"listened_at": when, "track_metadata": meta})

    lines = [listen(1_700_000_000, "One"), listen("²", "Two"), listen(" ³ ", "Three")]
    path.write_text("\n".join([*lines, listen(1_700_000_300, "Four")]) + "\n")
    return path


def _maloja(path: Path) -> Path:
    def scrobble(when: object, title: str) -> dict[str, object]:
        return {"time": when, "track": {"artists": ["A"], "title": title, "album": None}}

    items = [scrobble(1_700_000_000, "One"), scrobble("²", "Two"), scrobble("1700000300", "Four")]
    path.write_text(json.dumps({"scrobbles": items}))
    return path


@pytest.mark.parametrize(
    ("source", "make", "skipped"),
    [
        ("lastfm", lambda d: _lastfm_csv(d / "scrobbles.csv"), 2),
        ("listenbrainz", lambda d: _listenbrainz_jsonl(d / "listens.jsonl"), 2),
        ("maloja", lambda d: _maloja(d / "export.json"), 1),
    ],
)
def test_a_time_in_non_ascii_digits_skips_that_listen_only(
    tmp_path: Path, source: str, make, skipped: int
) -> None:
    db = Database("sqlite", str(tmp_path / "koito.db"))
    done = cli(source, make(tmp_path), "--json", db=db)  # KOITO_IMPORT_CREATE=1: conftest

    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["inserted"], summary["skipped"]) == (2, skipped)
    assert summary["skip_reasons"] == {"no valid time": skipped}
