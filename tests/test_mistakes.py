"""Mistakes users make (issue 21): the wrong subcommand, a CSV that is no Last.fm export, a
folder holding a damaged export beside a good one and a README.md, a truncated JSON."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from koito_import.commands.auto import shown_paths
from koito_import.core.dburl import Database
from koito_import.sources import NotAnExport, detect
from koito_import.sources.base import InputError
from tests.conftest import FIXTURES
from tests.support import cli, value

LASTFM_CSV = FIXTURES / "lastfm" / "scrobbles.csv"
ACCOUNT_DATA = FIXTURES / "spotify" / "StreamingHistory_music_0.json"
PLAYLIST = (
    "Track URI,Track Name,Artist Name(s),Album Name,Added At\nspotify:1,Song,A,B,2024-01-01\n"
)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database("sqlite", str(tmp_path / "koito.db"))


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


def test_the_wrong_subcommand_names_the_right_one(db: Database) -> None:
    csv_to_spotify = cli("spotify", LASTFM_CSV, db=db)
    json_to_lastfm = cli("lastfm", ACCOUNT_DATA, db=db)

    assert csv_to_spotify.returncode == json_to_lastfm.returncode == 3
    assert (
        f"it looks like a Last.fm export: koito-import lastfm {LASTFM_CSV} (or koito-import auto)"
        in last_line(csv_to_spotify.stderr)
    )
    assert "not a Last.fm recent-tracks export" in last_line(json_to_lastfm.stderr)
    assert "it looks like a Spotify export: koito-import spotify" in last_line(
        json_to_lastfm.stderr
    )


def test_a_csv_is_taken_for_lastfm_only_by_its_columns(tmp_path: Path, db: Database) -> None:
    playlist = tmp_path / "playlist.csv"
    playlist.write_text(PLAYLIST)
    tracks = tmp_path / "tracks.csv"
    tracks.write_text("artist,title,album\nA,Song,B\n")  # no date: no listens

    assert detect(LASTFM_CSV) == detect(FIXTURES / "lastfm" / "scrobbles-header.csv") == "lastfm"
    for other in (playlist, tracks):
        with pytest.raises(NotAnExport, match=r"not a Last\.fm CSV"):
            detect(other)
        done = cli("lastfm", other, db=db)
        assert done.returncode == 3 and "not a Last.fm CSV (its first row: " in done.stderr


def test_a_truncated_json_is_malformed_not_unknown(tmp_path: Path) -> None:
    truncated = tmp_path / "export.json"
    truncated.write_text('[{"ts": "2024-')

    with pytest.raises(InputError, match="malformed JSON") as caught:
        detect(truncated)
    assert not isinstance(caught.value, NotAnExport)


def test_auto_tries_every_source_and_lists_what_failed(tmp_path: Path, db: Database) -> None:
    folder = tmp_path / "import"
    folder.mkdir()
    shutil.copy(LASTFM_CSV, folder / "scrobbles.csv")
    broken = folder / "Streaming_History_Audio_2023.json"
    broken.write_text('[{"ts": "2024-01-01T00:00:00Z", "master_metadata_track_name": "x", "ms')
    (folder / "README.md").write_text("# exports\n")
    (folder / "playlist.csv").write_text(PLAYLIST)

    done = cli("auto", folder, "--quiet", db=db)

    assert done.returncode == 3, done.stderr
    assert value(db, "SELECT count(*) FROM listens") == 3  # the good Last.fm CSV went in
    lines = done.stderr.strip().splitlines()
    [left] = [line for line in lines if "left out" in line]
    assert f"{folder / 'README.md'} (not an export koito-import reads)" in left
    assert f"{folder / 'playlist.csv'} (not a Last.fm CSV" in left
    closing = lines[lines.index("koito-import: 1 of 2 failed:") :]
    assert closing[1].startswith(f"  spotify: {broken}: malformed JSON")
    assert closing[1].endswith("(exit 3)") and len(closing) == 2


def test_a_stray_readme_alone_is_nothing_to_import_not_a_crash(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# exports\n")

    done = cli("auto", readme, db=Database("sqlite", str(tmp_path / "k.db")))

    assert done.returncode == 3
    assert f"left out (not an export koito-import reads): {readme}" in done.stderr
    assert not (tmp_path / "k.db").exists()


def test_detected_files_are_named_unless_two_or_more_would_hide() -> None:
    four = [Path(f"{n}.json") for n in "abcd"]
    assert shown_paths(four) == "a.json, b.json, c.json, d.json"  # never "and 1 more"
    assert shown_paths([*four, Path("e.json")]) == "a.json, b.json, c.json and 2 more"
