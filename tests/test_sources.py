"""The source registry: expanding inputs, progress totals, zips, detection, damaged input."""

from __future__ import annotations

import json
import os
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from source_helpers import FIXTURES, make_zip, read, reasons

from koito_import import sources
from koito_import.sources import SOURCES, detect, expand_inputs, input_size, read_inputs
from koito_import.sources.base import ByteCounter, InputError, SourceOptions
from koito_import.sources.fields import clean_text, mbid
from koito_import.sources.inputs import file_input, head_bytes
from koito_import.sources.names import MAX_NAME_BYTES, TOO_LONG, fits

EXTENDED = FIXTURES / "spotify" / "Streaming_History_Audio_2023-2024_0.json"
LB_EXPORT = FIXTURES / "listenbrainz" / "export"


def spotify_entry(**fields: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "ts": "2023-03-01T10:00:00Z",
        "ms_played": 200_000,
        "master_metadata_track_name": "Jóga",
        "master_metadata_album_artist_name": "Björk",
        "master_metadata_album_album_name": "Homogenic",
        "reason_end": "trackdone",
    }
    entry.update(fields)
    return entry


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_registry_names_every_source() -> None:
    assert set(SOURCES) == {"maloja", "spotify", "lastfm", "listenbrainz", "koito"}


# --- expanding inputs and progress --------------------------------------------------------


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory") as error:
        expand_inputs([tmp_path / "nope.json"])
    assert error.value.where == str(tmp_path / "nope.json")


def test_a_path_that_is_not_a_regular_file_cannot_be_read(tmp_path: Path) -> None:
    fifo = tmp_path / "export.json"
    os.mkfifo(fifo)
    for call in (lambda: expand_inputs([fifo]), lambda: detect(fifo)):
        with pytest.raises(InputError, match=r"cannot read the file \(not a regular file\)"):
            call()


def test_a_file_that_cannot_be_opened_is_an_input_error(tmp_path: Path) -> None:
    """What open() refuses, even to root (here a directory where a file should be)."""
    with pytest.raises(InputError, match="cannot read the file") as error:
        head_bytes(file_input(tmp_path))
    assert error.value.where == str(tmp_path)


def test_directory_without_matching_files_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="no spotify files"):
        expand_inputs([tmp_path], "spotify")


def test_directory_walk_is_sorted_and_skips_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/2.jsonl", "a.jsonl", ".hidden.jsonl", "user.json"):
        (tmp_path / name).write_text("")
    assert expand_inputs([tmp_path], "listenbrainz") == [
        tmp_path / "a.jsonl",
        tmp_path / "b/2.jsonl",
    ]


def test_progress_over_a_zip_ends_at_its_uncompressed_size(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "export.zip",
        {
            f"export/{p.relative_to(LB_EXPORT).as_posix()}": p
            for p in LB_EXPORT.rglob("*")
            if p.is_file()
        },
    )
    counter = ByteCounter(total=input_size([archive]))
    uncompressed = sum(p.stat().st_size for p in LB_EXPORT.rglob("*") if p.is_file())
    assert counter.total == uncompressed
    list(read_inputs("listenbrainz", [archive], counter, SourceOptions()))
    assert counter.done == counter.total


def test_several_files_read_in_order() -> None:
    scrobbles, _ = read(
        "spotify", EXTENDED, FIXTURES / "spotify" / "endsong_0.json", FIXTURES / "spotify"
    )
    # the directory repeats the two files: each file is read once
    assert len(scrobbles) == 6
    assert scrobbles[3].track == "Hyperballad"


# --- detection ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("maloja/export.json", "maloja"),
        ("maloja/api-list.json", "maloja"),
        ("spotify/Streaming_History_Audio_2023-2024_0.json", "spotify"),
        ("spotify/endsong_0.json", "spotify"),
        ("spotify/StreamingHistory_music_0.json", "spotify"),
        ("spotify", "spotify"),
        ("lastfm/recenttracks.json", "lastfm"),
        ("lastfm/recenttracks-single-page.json", "lastfm"),
        ("lastfm/scrobbles.csv", "lastfm"),
        ("listenbrainz/export/listens/2023/11.jsonl", "listenbrainz"),
        ("listenbrainz/listens_old_export.json", "listenbrainz"),
        ("listenbrainz/export", "listenbrainz"),
        ("koito/koito_export.json", "koito"),
    ],
)
def test_detect_files_and_directories(path: str, source: str) -> None:
    assert detect(FIXTURES / path) == source


def test_detect_by_content_whatever_the_name(tmp_path: Path) -> None:
    copy = tmp_path / "download (3).json"
    copy.write_bytes(EXTENDED.read_bytes())
    assert detect(copy) == "spotify"


def test_detect_inside_zips(tmp_path: Path) -> None:
    spotify = make_zip(
        tmp_path / "my_spotify_data.zip", {"Spotify/Streaming_History_Audio_1.json": EXTENDED}
    )
    lb = make_zip(tmp_path / "lb.zip", {"user.json": b"{}", "x/listens/2023/1.jsonl": b""})
    koito = make_zip(
        tmp_path / "k.zip", {"koito_export.json": FIXTURES / "koito" / "koito_export.json"}
    )
    assert [detect(spotify), detect(lb), detect(koito)] == ["spotify", "listenbrainz", "koito"]


def test_detect_refuses_when_unsure(tmp_path: Path) -> None:
    unknown = write_json(tmp_path / "data.json", {"hello": "world"})
    with pytest.raises(InputError, match="cannot tell which export this is; name the source"):
        detect(unknown)


# --- damaged input ------------------------------------------------------------------------


def test_truncated_json_yields_what_came_before_then_fails(tmp_path: Path) -> None:
    text = json.dumps([spotify_entry(), spotify_entry(ts="2023-03-01T10:05:00Z")])
    path = tmp_path / "Streaming_History_Audio_0.json"
    path.write_text(text[: len(text) - 40])
    items = read_inputs("spotify", [path], ByteCounter(), SourceOptions())
    assert next(items).track == "Jóga"
    with pytest.raises(InputError, match="malformed JSON") as error:
        next(items)
    assert error.value.where == f"{path} after item #1"


@pytest.mark.parametrize("content", [b"", b"   ", b"\xff\xfe[", b"[1, 2"])
def test_empty_or_garbage_json_is_an_input_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "Streaming_History_Audio_0.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match="malformed JSON"):
        read("spotify", path)


def test_corrupt_zips(tmp_path: Path) -> None:
    not_zip = tmp_path / "export.zip"
    not_zip.write_bytes(b"this is not a zip")
    with pytest.raises(InputError, match="not a readable zip"):
        read("spotify", not_zip)
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(InputError, match="holds no files"):
        read("spotify", empty)
    wrong = make_zip(tmp_path / "wrong.zip", {"notes.txt": b"hi"})
    with pytest.raises(InputError, match="no spotify files in this zip"):
        read("spotify", wrong)


def test_damaged_zip_member_names_the_member(tmp_path: Path) -> None:
    member = "Streaming_History_Audio_0.json"
    archive = make_zip(
        tmp_path / "damaged.zip", {member: json.dumps([spotify_entry()] * 500).encode()}
    )
    data = bytearray(archive.read_bytes())
    data[200:260] = bytes(60)  # overwrite compressed data
    archive.write_bytes(bytes(data))
    with pytest.raises(InputError) as error:
        read("spotify", archive)
    assert error.value.where.startswith(f"{archive}:{member}")
    assert "damaged zip member" in str(error.value) or "malformed JSON" in str(error.value)


@pytest.mark.parametrize(
    "method",
    [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA],
    ids=["deflate", "bzip2", "lzma"],
)
def test_any_damaged_member_is_an_input_error(tmp_path: Path, method: int) -> None:
    archive = tmp_path / "damaged.zip"
    member = "Streaming_History_Audio_0.json"
    with zipfile.ZipFile(archive, "w", method) as out:
        out.writestr(member, json.dumps([spotify_entry(ms_played=i) for i in range(2000)]))
    data = bytearray(archive.read_bytes())
    data[300:400] = bytes(100)
    archive.write_bytes(bytes(data))
    with pytest.raises(InputError) as error:
        read("spotify", archive)
    assert error.value.where == f"{archive}:{member}" or "malformed JSON" in str(error.value)


@pytest.mark.parametrize("planted", [OSError("planted"), RuntimeError("planted")])
def test_a_readers_own_error_inside_a_zip_is_not_called_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, planted: Exception
) -> None:
    """Only the archive's reads can report damage: a reader's bug keeps its own type."""

    def broken_reader(inp, counter, options):  # type: ignore[no-untyped-def]
        with inp.open(counter) as stream:
            stream.read(10)
        raise planted
        yield

    monkeypatch.setitem(sources._STREAM_READERS, "spotify", broken_reader)
    archive = make_zip(tmp_path / "export.zip", {"Streaming_History_Audio_0.json": EXTENDED})
    with pytest.raises(type(planted), match="planted"):
        read("spotify", archive)


def test_maloja_export_inside_a_zip_names_the_member(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "maloja.zip", {"export.json": FIXTURES / "maloja" / "export.json"}
    )
    scrobbles, skips = read("maloja", archive)
    direct, direct_skips = read("maloja", FIXTURES / "maloja" / "export.json")
    assert scrobbles == direct
    assert [s.where.replace(f"{archive}:export.json", "X") for s in skips] == [
        s.where.replace(str(FIXTURES / "maloja" / "export.json"), "X") for s in direct_skips
    ]


def test_names_are_cleaned_and_kept_whole(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "Streaming_History_Audio_0.json",
        [
            spotify_entry(master_metadata_album_artist_name="Bj\u0000örk"),
            spotify_entry(master_metadata_track_name="Jó\ud800ga"),
            spotify_entry(master_metadata_track_name="x" * 1000),
            spotify_entry(master_metadata_album_artist_name=["Björk"]),
            spotify_entry(master_metadata_track_name="   "),
            spotify_entry(master_metadata_track_name="x" * 100_000),
            spotify_entry(master_metadata_album_album_name="Ω" * 1345),
        ],
    )
    scrobbles, skips = read("spotify", path)
    assert [s.artist for s in scrobbles] == ["Björk", "Björk", "Björk"]
    assert scrobbles[1].track == "Jó\ufffdga"  # replaced, never a lossy "?"
    assert scrobbles[2].track == "x" * 1000  # Koito stores a 1,000-character title whole
    assert reasons(skips) == {"artist is not text": 1, "no track title": 1, TOO_LONG: 2}
    assert skips[-1].where.endswith("Streaming_History_Audio_0.json item #7")


def test_the_longest_name_koitos_tables_hold() -> None:
    """2,688 bytes is the longest alias a PostgreSQL btree entry of Koito's alias primary
    keys holds uncompressed; characters count by their UTF-8 bytes."""
    assert fits("x" * MAX_NAME_BYTES)
    assert not fits("x" * (MAX_NAME_BYTES + 1))
    assert fits("Ω" * (MAX_NAME_BYTES // 2))  # two bytes each
    assert not fits("Ω" * (MAX_NAME_BYTES // 2 + 1))
    assert fits("😀" * (MAX_NAME_BYTES // 4))


@pytest.mark.parametrize(
    ("ts", "reason"),
    [
        ("1969-12-31T23:59:59Z", "time out of range"),
        ("9999-01-01T00:00:00Z", "time out of range"),
        ("2023-02-30T00:00:00Z", "no valid time"),
        (1677664800, "no valid time"),  # Spotify's ts is text
    ],
)
def test_absurd_or_unparseable_times_are_skipped(tmp_path: Path, ts: object, reason: str) -> None:
    path = write_json(tmp_path / "Streaming_History_Audio_0.json", [spotify_entry(ts=ts)])
    scrobbles, skips = read("spotify", path)
    assert scrobbles == []
    assert reasons(skips) == {reason: 1}


@pytest.mark.parametrize(
    ("listened_at", "reason"),
    [
        (-1, "time out of range"),
        (0, "time out of range"),
        (10**20, "time out of range"),
        (1.5e300, "time out of range"),
        (True, "no valid time"),
        ("soon", "no valid time"),
        (None, "no valid time"),
    ],
)
def test_absurd_unix_times_are_skipped(tmp_path: Path, listened_at: object, reason: str) -> None:
    listen = {"listened_at": listened_at, "track_metadata": {"artist_name": "a", "track_name": "t"}}
    path = tmp_path / "listens.jsonl"
    path.write_text(json.dumps(listen))
    scrobbles, skips = read("listenbrainz", path)
    assert scrobbles == []
    assert reasons(skips) == {reason: 1}


def test_mbids_are_canonical_or_dropped() -> None:
    assert mbid("87C5DEDD-371D-4A53-9F7F-80522FB7F3CB") == "87c5dedd-371d-4a53-9f7f-80522fb7f3cb"
    assert mbid("{87c5dedd-371d-4a53-9f7f-80522fb7f3cb}") == "87c5dedd-371d-4a53-9f7f-80522fb7f3cb"
    for bad in ("", "not-a-uuid", "00000000-0000-0000-0000-000000000000", None, 42):
        assert mbid(bad) is None


def test_clean_text() -> None:
    assert clean_text("Sigur\x00 Rós") == "Sigur Rós"
    assert clean_text("\ud83d") == "\ufffd"
    assert clean_text("  ") is None and clean_text(3) is None


def test_reading_does_not_hold_the_file_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "Streaming_History_Audio_big.json"
    with path.open("w") as out:
        out.write("[")
        out.write(
            ",".join(
                json.dumps(spotify_entry(master_metadata_track_name=f"T{i}")) for i in range(60_000)
            )
        )
        out.write("]")
    size = path.stat().st_size
    tracemalloc.start()
    count = sum(1 for _ in read_inputs("spotify", [path], ByteCounter(), SourceOptions()))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 60_000
    assert peak < size / 4, (peak, size)
