"""Last.fm reader: recent-tracks JSON (pages, single page, wrapper) and the CSV exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from source_helpers import BJORK, FIXTURES, HOMOGENIC, JOGA, RAM, SIGUR_ROS, UTADA, read, reasons

from koito_import.sources.base import InputError

LASTFM = FIXTURES / "lastfm"


def test_pages_of_recent_tracks() -> None:
    scrobbles, skips = read("lastfm", LASTFM / "recenttracks.json")
    assert [(s.artist, s.track, s.release, s.listened_at) for s in scrobbles] == [
        ("Björk", "Jóga", "Homogenic", 1612101780),
        ("Sigur Rós", "Hoppípolla", "Hoppípolla", 1612102000),  # Koito's album fallback
        ("Daft Punk feat. Pharrell Williams", "Get Lucky", "Random Access Memories", 1612103000),
        ("宇多田ヒカル", "Automatic", "First Love", 1609599840),  # text date, 02 Jan 2021 15:04
    ]
    joga = scrobbles[0]
    assert joga.artist_mbids == [BJORK]
    assert joga.artist_mbid_map == [("Björk", BJORK)]
    assert (joga.release_mbid, joga.recording_mbid) == (HOMOGENIC, JOGA)
    assert scrobbles[1].release_mbid is None and scrobbles[1].recording_mbid is None
    assert scrobbles[2].artist_mbid_map == [] and scrobbles[2].release_mbid == RAM
    assert scrobbles[3].artist_mbid_map == [("宇多田ヒカル", UTADA)]
    assert {s.client for s in scrobbles} == {"lastfm"}
    assert reasons(skips) == {
        "now playing": 1,
        "no artist": 1,
        "no valid time": 1,
        "track title is not text": 1,
    }
    assert skips[0].where == f"{LASTFM / 'recenttracks.json'} track #1"


def test_recenttracks_wrapper_and_upper_case_mbid() -> None:
    scrobbles, skips = read("lastfm", LASTFM / "recenttracks-single-page.json")
    assert [(s.artist, s.track, s.release, s.artist_mbids) for s in scrobbles] == [
        ("Sigur Rós", "Svefn-g-englar", "Ágætis byrjun", [SIGUR_ROS])
    ]
    assert skips == []


def test_bare_page_and_lone_track_object(tmp_path: Path) -> None:
    track = json.loads((LASTFM / "recenttracks.json").read_text())[0]["track"][1]
    bare = tmp_path / "page.json"
    bare.write_text(json.dumps({"track": [track, track]}))
    lone = tmp_path / "lone.json"
    lone.write_text(json.dumps({"recenttracks": {"track": track, "@attr": {"page": "1"}}}))
    assert len(read("lastfm", bare)[0]) == 2
    assert [s.track for s in read("lastfm", lone)[0]] == ["Jóga"]


def test_json_without_tracks_is_an_input_error(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"error": 6, "message": "User not found"}')
    with pytest.raises(InputError, match=r"not a Last\.fm recent-tracks export"):
        read("lastfm", other)


def test_csv_without_header() -> None:
    path = LASTFM / "scrobbles.csv"
    scrobbles, skips = read("lastfm", path)
    assert [(s.artist, s.release, s.track, s.listened_at) for s in scrobbles] == [
        ("Björk", "Homogenic", "Jóga", 1612101780),
        ("Tyler, The Creator", "IGOR", "EARFQUAKE", 1612171800),
        ("宇多田ヒカル", "First Love", "First Love", 1612300000),  # unix date, album fallback
    ]
    assert reasons(skips) == {"no date": 1, "too few columns": 1, "no valid time": 1}
    assert [s.where for s in skips] == [f"{path} line 4", f"{path} line 5", f"{path} line 6"]


def test_csv_with_header_keeps_mbids() -> None:
    scrobbles, skips = read("lastfm", LASTFM / "scrobbles-header.csv")
    assert [(s.artist, s.release, s.track, s.listened_at) for s in scrobbles] == [
        ("Björk", "Homogenic", "Jóga", 1612101780),
        ("Sigur Rós", "Hoppípolla", "Hoppípolla", 1612102000),
    ]
    assert scrobbles[0].artist_mbid_map == [("Björk", BJORK)]
    assert (scrobbles[0].release_mbid, scrobbles[0].recording_mbid) == (HOMOGENIC, JOGA)
    assert skips == []


def test_csv_with_byte_order_mark_nul_and_bad_bytes(tmp_path: Path) -> None:
    path = tmp_path / "scrobbles.csv"
    path.write_bytes(
        "\ufeffArtist,Album,Track,Date\n".encode()
        + b"Bj\x00\xc3\xb6rk,Debut,Human Behaviour,10 Jul 1993 10:00\n"
        + b"Caf\xe9 Tacvba,Re,La Ingrata,10 Jul 1994 10:00\n"
    )
    scrobbles, skips = read("lastfm", path)
    assert [(s.artist, s.track) for s in scrobbles] == [
        ("Björk", "Human Behaviour"),
        ("Caf\ufffd Tacvba", "La Ingrata"),
    ]
    assert skips == []
