"""ListenBrainz reader: the export zip, bare JSON Lines, the older JSON array."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from source_helpers import (
    BJORK,
    DAFT_PUNK,
    FIXTURES,
    HOMOGENIC,
    JOGA,
    PHARRELL,
    RAM,
    SIGUR_ROS,
    make_zip,
    read,
    reasons,
)

from koito_import.sources.base import InputError

LB = FIXTURES / "listenbrainz"
EXPORT = LB / "export"
NOVEMBER = EXPORT / "listens" / "2023" / "11.jsonl"


def test_listen_with_full_metadata() -> None:
    scrobbles, skips = read("listenbrainz", NOVEMBER)
    joga = scrobbles[0]
    assert len(scrobbles) == 3
    assert (joga.artist, joga.track, joga.release, joga.listened_at) == (
        "Björk",
        "Jóga",
        "Homogenic",
        1700000000,
    )
    assert joga.artist_mbids == [BJORK]
    assert joga.artist_mbid_map == [("Björk", BJORK)]
    assert (joga.recording_mbid, joga.release_mbid) == (JOGA, HOMOGENIC)
    assert (joga.duration, joga.client) == (305, "Strawberry")  # duration_ms
    assert skips == []


def test_mbid_mapping_fills_gaps_including_artist_mbids() -> None:
    lucky = read("listenbrainz", NOVEMBER)[0][1]
    assert lucky.artist == "Daft Punk feat. Pharrell Williams & Nile Rodgers"
    assert lucky.artist_names == ["Daft Punk", "Pharrell Williams", "Nile Rodgers"]
    # additional_info has no MBIDs: all come from mbid_mapping; the invalid one is dropped
    assert lucky.artist_mbids == [DAFT_PUNK, PHARRELL]
    assert lucky.artist_mbid_map == [("Daft Punk", DAFT_PUNK), ("Pharrell Williams", PHARRELL)]
    assert (lucky.release_mbid, lucky.duration) == (RAM, 369)  # duration in seconds
    assert lucky.client == "Pano Scrobbler"  # submission client when no media player


def test_null_mapping_and_empty_media_player() -> None:
    first_love = read("listenbrainz", NOVEMBER)[0][2]
    assert first_love.artist_mbids == [] and first_love.recording_mbid is None
    assert first_love.client == "ListenBrainz Spotify Importer"


def test_partial_mapping_bad_fields_and_bad_listens() -> None:
    path = EXPORT / "listens" / "2024" / "1.jsonl"
    scrobbles, skips = read("listenbrainz", path)
    [hoppipolla] = scrobbles
    assert hoppipolla.artist_mbids == [SIGUR_ROS]  # upper case normalized, nil UUID dropped
    assert hoppipolla.recording_mbid == "f5e3b9e2-27e2-4c1a-8c8e-1f2a3b4c5d6e"
    assert (hoppipolla.release, hoppipolla.duration, hoppipolla.client) == ("", 0, None)
    assert reasons(skips) == {"no artist": 1, "time out of range": 1}
    assert [s.where for s in skips] == [f"{path} line 2", f"{path} line 3"]


def test_export_zip_at_any_depth_ignores_other_files(tmp_path: Path) -> None:
    members = {
        f"listenbrainz_tester_1718000000/{p.relative_to(EXPORT).as_posix()}": p
        for p in sorted(EXPORT.rglob("*"))
        if p.is_file()
    }
    archive = make_zip(tmp_path / "listenbrainz_tester_1718000000.zip", members)
    scrobbles, skips = read("listenbrainz", archive)
    assert [s.track for s in scrobbles] == ["Jóga", "Get Lucky", "First Love", "Hoppípolla"]
    assert len(skips) == 2
    assert skips[0].where.startswith(f"{archive}:listenbrainz_tester_1718000000/listens/2024/")


def test_older_single_array_export() -> None:
    scrobbles, skips = read("listenbrainz", LB / "listens_old_export.json")
    assert [(s.artist, s.track, s.listened_at) for s in scrobbles] == [
        ("Björk", "Jóga", 1700000000),
        ("宇多田ヒカル", "First Love", 1700000800),
    ]
    assert skips == []


def test_damaged_lines_cost_only_themselves(tmp_path: Path) -> None:
    good = NOVEMBER.read_text().splitlines()[0]
    lone_surrogate = good.replace('"Jóga"', '"J\\ud800ga"')
    path = tmp_path / "listens.jsonl"
    path.write_text(
        "\n".join([good, '{"listened_at": 1700000000, "track_meta', "", "[1, 2]", lone_surrogate])
        + "\n"
        + good[:40]  # a damaged last line, with its line end
        + "\n"
    )
    scrobbles, skips = read("listenbrainz", path)
    assert [s.track for s in scrobbles] == ["Jóga", "J\ufffdga"]
    assert reasons(skips) == {"malformed JSON line": 2, "not an object": 1}
    assert [s.where for s in skips] == [f"{path} line 2", f"{path} line 4", f"{path} line 6"]


def test_a_file_cut_in_the_middle_of_its_last_line_is_refused_whole(tmp_path: Path) -> None:
    """No line end and no JSON: the file was cut (a copy under way), not one damaged line
    (issue 22, item 1); the last line complete without a line end is fine."""
    good = NOVEMBER.read_text().splitlines()[0]
    path = tmp_path / "listens.jsonl"
    path.write_text("\n".join([good, good[:40]]))
    with pytest.raises(InputError, match=r"looks truncated.*line 2 is cut off"):
        read("listenbrainz", path)
    path.write_text("\n".join([good, good]))
    assert len(read("listenbrainz", path)[0]) == 2


def test_iso_listened_at_and_string_duration(tmp_path: Path) -> None:
    listen = json.loads(NOVEMBER.read_text().splitlines()[0])
    listen["listened_at"] = "2023-11-14T22:13:20Z"
    listen["track_metadata"]["additional_info"] = {"duration": "300", "duration_ms": 215999}
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(listen))
    [scrobble], _ = read("listenbrainz", path)
    assert (scrobble.listened_at, scrobble.duration) == (1700000000, 215)
