"""Spotify reader: extended history, endsong_*, account-data history, the export zip."""

from __future__ import annotations

from pathlib import Path

import pytest
from source_helpers import FIXTURES, make_zip, read, reasons

from koito_import.sources.base import InputError, SourceOptions

SPOTIFY = FIXTURES / "spotify"
EXTENDED = SPOTIFY / "Streaming_History_Audio_2023-2024_0.json"


def test_extended_history_counts_only_finished_tracks() -> None:
    scrobbles, skips = read("spotify", EXTENDED)
    assert [(s.artist, s.track, s.release, s.listened_at, s.duration) for s in scrobbles] == [
        ("Björk", "Jóga", "Homogenic", 1677664800, 305),
        ("宇多田ヒカル", "First Love", "First Love", 1677801599, 259),
        (
            "Daft Punk",
            "Get Lucky (feat. Pharrell Williams & Nile Rodgers)",
            "Random Access Memories",
            1677831330,
            369,
        ),
    ]
    assert {s.client for s in scrobbles} == {"spotify"}
    # Koito parses feat. credits later; the reader keeps the credited artist as given.
    assert all(s.artist_names == [] and s.artist_mbids == [] for s in scrobbles)
    assert reasons(skips) == {
        "not played to the end": 3,
        "podcast episode": 1,
        "audiobook": 1,
        "no track title": 1,
        "no valid time": 1,
        "track title is not text": 1,
    }
    assert skips[0].where == f"{EXTENDED} item #2"


def test_min_played_also_counts_long_partial_plays_without_a_duration() -> None:
    scrobbles, skips = read("spotify", EXTENDED, options=SourceOptions(min_played_s=30))
    partial = {
        s.track: s.duration for s in scrobbles if s.track in ("Hoppípolla", "Svefn-g-englar")
    }
    assert partial == {"Hoppípolla": 0, "Svefn-g-englar": 0}
    assert len(scrobbles) == 5
    assert reasons(skips)["played less than 30 s"] == 1  # the 5-second skip
    assert "not played to the end" not in reasons(skips)


def test_endsong_form_reads_like_the_extended_form() -> None:
    scrobbles, skips = read("spotify", SPOTIFY / "endsong_0.json")
    assert [(s.artist, s.track, s.release, s.listened_at, s.duration) for s in scrobbles] == [
        ("Björk", "Hyperballad", "Post", 1468522931, 240)
    ]
    assert reasons(skips) == {"not played to the end": 1}


def test_account_data_history_counts_plays_of_30_seconds_by_default() -> None:
    scrobbles, skips = read("spotify", SPOTIFY / "StreamingHistory_music_0.json")
    assert [(s.artist, s.track, s.release, s.listened_at, s.duration) for s in scrobbles] == [
        ("Sigur Rós", "Glósóli", "", 1549024440, 0),  # 2019-02-01 12:34 UTC
        ("宇多田ヒカル", "traveling", "", 1549026000, 0),
    ]
    assert reasons(skips) == {"played less than 30 s": 2, "no valid time": 1}


def test_account_data_history_follows_min_played() -> None:
    scrobbles, _ = read(
        "spotify", SPOTIFY / "StreamingHistory_music_0.json", options=SourceOptions(min_played_s=60)
    )
    assert [s.track for s in scrobbles] == ["Glósóli"]


def test_account_data_podcasts_are_skipped() -> None:
    scrobbles, skips = read("spotify", SPOTIFY / "StreamingHistory_podcast_0.json")
    assert scrobbles == []
    assert reasons(skips) == {"podcast episode": 1}


def test_directory_reads_only_audio_history_files() -> None:
    scrobbles, skips = read("spotify", SPOTIFY)
    # extended (3) + endsong (1) + account data music (2); podcasts and Userdata.json left out
    assert len(scrobbles) == 6
    assert not any("podcast_0" in s.where or "Userdata" in s.where for s in skips)


def test_export_zip_as_downloaded(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "my_spotify_data.zip",
        {
            "Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory.pdf": b"%PDF",
            "Spotify Extended Streaming History/Streaming_History_Audio_2023-2024_0.json": EXTENDED,
            "Spotify Extended Streaming History/Streaming_History_Video_2023-2024.json": b"[]",
        },
    )
    scrobbles, skips = read("spotify", archive)
    assert [s.track for s in scrobbles][:2] == ["Jóga", "First Love"]
    member = (
        f"{archive}:Spotify Extended Streaming History/Streaming_History_Audio_2023-2024_0.json"
    )
    assert skips[0].where == f"{member} item #2"


def test_other_json_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not a Spotify streaming history"):
        read("spotify", SPOTIFY / "Userdata.json")
