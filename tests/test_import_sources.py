"""Spotify, Last.fm, ListenBrainz and Koito exports imported into a real database (both back
ends), checked as a Koito user sees the result: counts, names, MBIDs, durations, clients."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from koito_import.core.dburl import Database
from koito_import.core.summary import Summary
from koito_import.sources.base import InputError, SourceOptions
from tests.conftest import FIXTURES, DatabaseFactory
from tests.support import catalog, import_files, listens_per_artist, rows

REPO = Path(__file__).resolve().parents[1]
SPOTIFY = FIXTURES / "spotify"
EXTENDED = SPOTIFY / "Streaming_History_Audio_2023-2024_0.json"
LASTFM = FIXTURES / "lastfm"
LB = FIXTURES / "listenbrainz"
LB_EXPORT = LB / "export"
LB_NOVEMBER = LB_EXPORT / "listens" / "2023" / "11.jsonl"
LB_MULTI = LB / "multi-artist.jsonl"
KOITO_EXPORT = FIXTURES / "koito" / "koito_export_roundtrip.json"

BJORK = "87c5dedd-371d-4a53-9f7f-80522fb7f3cb"
UTADA = "6ffb8ea9-2370-44d8-b678-e9237bbd347b"
DAFT_PUNK = "056e4f3e-d505-4dad-8ec1-d04f521cbb56"
PHARRELL = "149e6720-4e4a-41a4-afca-6d29083fc091"
SKRILLEX = "ae002c5d-aac6-490b-a39a-30aa9e2edf2b"
JULIAN = "a0b9e8f6-6d1c-4c3f-9f5a-35b8e1d2c7a4"
HOMOGENIC = "2f7df8b5-b4d3-3bde-a6e2-8e1aa3a0aeb2"
RAM = "aa997ea0-2936-40bd-884d-3af8a0e064dc"
JOGA = "5a9dd6a1-ae07-4e6b-8d80-4a0c0fc0b1a4"
SIGUR_ROS = "f6f2326f-6b25-4170-b89d-e235b25508e8"


# --- helpers -------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """One Python value whatever the back end: UUIDs as text, times as unix seconds."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value


def query(db: Database, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return [tuple(plain(v) for v in row) for row in rows(db, sql, *params)]


def mbids(db: Database, view: str, name: str) -> dict[str, str | None]:
    """Name -> MusicBrainz id of every artist, release or track."""
    return dict(query(db, f"SELECT {name}, musicbrainz_id FROM {view}"))


def track_facts(db: Database) -> dict[str, tuple[str, int, str | None]]:
    """Track title -> (release title, duration, MBID)."""
    return {
        title: (release, duration, mbid)
        for title, release, duration, mbid in query(
            db,
            """SELECT t.title, r.title, t.duration, t.musicbrainz_id FROM tracks_with_title t
            JOIN releases_with_title r ON r.id = t.release_id""",
        )
    }


def track_artists(db: Database, title: str) -> list[tuple[str, bool]]:
    """The track's artists: the primary one, then the others by name."""
    found = query(
        db,
        """SELECT a.name, at.is_primary FROM artist_tracks at
        JOIN tracks_with_title t ON t.id = at.track_id
        JOIN artists_with_name a ON a.id = at.artist_id WHERE t.title = %s""",
        title,
    )
    return sorted(
        ((name, bool(primary)) for name, primary in found), key=lambda r: (not r[1], r[0])
    )


def listens_per_track(db: Database) -> dict[str, int]:
    return dict(
        query(
            db,
            """SELECT t.title, count(*) FROM listens l
            JOIN tracks_with_title t ON t.id = l.track_id GROUP BY t.title""",
        )
    )


def clients(db: Database) -> dict[str, int]:
    """Listens per client; Koito's exporter (and SQLite's schema) write a missing one as ""."""
    found: dict[str, int] = {}
    for client, n in query(db, "SELECT client, count(*) FROM listens GROUP BY client"):
        found[client or ""] = found.get(client or "", 0) + n
    return found


def listen_times(db: Database, title: str) -> list[int]:
    return sorted(
        t
        for (t,) in query(
            db,
            """SELECT l.listened_at FROM listens l
            JOIN tracks_with_title t ON t.id = l.track_id WHERE t.title = %s""",
            title,
        )
    )


def assert_unique_artist_names(db: Database) -> None:
    names = [name for (name,) in query(db, "SELECT name FROM artists_with_name")]
    assert len(names) == len(set(names)), "an artist was created twice"


def counts(summary: Summary) -> dict[str, Any]:
    """What a user reads in the summary, without the parts that differ between runs."""
    return {
        key: value
        for key, value in summary.as_json().items()
        if key not in ("database", "elapsed_s", "notes")
    }


def make_zip(target: Path, members: dict[str, Path | bytes]) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content if isinstance(content, bytes) else content.read_bytes())
    return target


def spotify_play(
    ts: str, artist: str | None, track: str | None, album: str | None, ms: int, **extra: Any
) -> dict[str, Any]:
    """One entry of Spotify's extended streaming history, every key present as Spotify has it."""
    entry: dict[str, Any] = {
        "ts": ts,
        "platform": "ios",
        "ms_played": ms,
        "conn_country": "IS",
        "ip_addr": "x.x.x.x",
        "master_metadata_track_name": track,
        "master_metadata_album_artist_name": artist,
        "master_metadata_album_album_name": album,
        "spotify_track_uri": "spotify:track:6nTiIhLmQ3FWhvrGafw2zj" if track else None,
        "episode_name": None,
        "episode_show_name": None,
        "spotify_episode_uri": None,
        "audiobook_title": None,
        "audiobook_uri": None,
        "audiobook_chapter_uri": None,
        "audiobook_chapter_title": None,
        "reason_start": "clickrow",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": False,
        "offline": False,
        "offline_timestamp": None,
        "incognito_mode": False,
    }
    entry.update(extra)
    return entry


SECOND_SPOTIFY_FILE = [
    spotify_play("2024-02-01T07:00:00Z", "Sigur Rós", "Hoppípolla", "Takk...", 268_000),
    # The same play as in the first file (overlapping downloads): a duplicate, not a listen.
    spotify_play("2023-03-01T10:00:00Z", "Björk", "Jóga", "Homogenic", 305_123),
    spotify_play("2024-02-01T07:05:00Z", "Björk", "Bachelorette", "Homogenic", 312_000),
    spotify_play(
        "2024-02-01T08:00:00Z",
        None,
        None,
        None,
        2_400_000,
        episode_name="Sigur Rós – Ágætis byrjun at 25",
        episode_show_name="Song Exploder",
        spotify_episode_uri="spotify:episode:4rOoJ6Egrf8K2IrywzwOMk",
    ),
    spotify_play(
        "2024-02-01T08:01:00Z", "Sigur Rós", "Sæglópur", "Takk...", 12_000, reason_end="fwdbtn"
    ),
]


def spotify_account_data(folder: Path) -> dict[str, Path]:
    """The files of Spotify's extended-history download: name inside the zip -> file."""
    folder.mkdir()
    second = folder / "Streaming_History_Audio_2024_1.json"
    second.write_text(json.dumps(SECOND_SPOTIFY_FILE, ensure_ascii=False, indent=2))
    readme = folder / "ReadMeFirst_ExtendedStreamingHistory.pdf"
    readme.write_bytes(b"%PDF-1.7\n")
    files = [EXTENDED, second, SPOTIFY / "endsong_0.json", SPOTIFY / "Userdata.json", readme]
    for file in files:
        if file.parent != folder:
            shutil.copy(file, folder / file.name)
    return {f"Spotify Extended Streaming History/{f.name}": folder / f.name for f in files}


def listenbrainz_zip(tmp_path: Path) -> Path:
    """The export as ListenBrainz serves it: one folder, user.json, feedback, listens/YYYY/M."""
    top = "listenbrainz_tester_1718000000"
    members: dict[str, Path | bytes] = {
        f"{top}/{p.relative_to(LB_EXPORT).as_posix()}": p
        for p in sorted(LB_EXPORT.rglob("*"))
        if p.is_file()
    }
    members[f"{top}/listens/2024/3.jsonl"] = LB_MULTI
    return make_zip(tmp_path / f"{top}.zip", members)


def koito_export() -> list[dict[str, Any]]:
    return json.loads(KOITO_EXPORT.read_text())["listens"]


def rfc3339(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _aliases(aliases: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    return sorted((a["alias"], a["source"], bool(a["is_primary"])) for a in aliases)


def comparable_export(listens: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An export's listens in an order-free form: aliases sorted, the primary artist first."""

    def artist(a: dict[str, Any]) -> dict[str, Any]:
        return {**a, "aliases": _aliases(a["aliases"])}

    result = [
        {
            "listened_at": x["listened_at"],
            "client": x["client"],
            "track": {**x["track"], "aliases": _aliases(x["track"]["aliases"])},
            "album": {**x["album"], "aliases": _aliases(x["album"]["aliases"])},
            "artists": sorted(
                (artist(a) for a in x["artists"]),
                key=lambda a: (not a["is_primary"], a["aliases"]),
            ),
        }
        for x in listens
    ]
    return sorted(result, key=lambda x: (x["listened_at"], x["track"]["aliases"]))


def exported(db: Database) -> list[dict[str, Any]]:
    """The database read back as Koito's exporter reads it (GetExportPage)."""
    aliases: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for table, key in (("artist", "artist_id"), ("release", "release_id"), ("track", "track_id")):
        aliases[table] = {}
        for entity, alias, source, primary in query(
            db, f"SELECT {key}, alias, source, is_primary FROM {table}_aliases"
        ):
            aliases[table].setdefault(entity, []).append(
                {"alias": alias, "source": source, "is_primary": bool(primary)}
            )
    artists: dict[int, list[dict[str, Any]]] = {}
    for track, artist, mbid, source, primary in query(
        db,
        """SELECT at.track_id, a.id, a.musicbrainz_id, a.image_source, at.is_primary
        FROM artist_tracks at JOIN artists a ON a.id = at.artist_id""",
    ):
        artists.setdefault(track, []).append(
            {
                "image_url": source or "",
                "mbid": mbid,
                "is_primary": bool(primary),
                "aliases": aliases["artist"][artist],
            }
        )
    listens = query(
        db,
        """SELECT l.listened_at, l.client, t.id, t.musicbrainz_id, t.duration,
            r.id, r.musicbrainz_id, r.image_source, r.various_artists
        FROM listens l JOIN tracks t ON t.id = l.track_id JOIN releases r ON r.id = t.release_id""",
    )
    return comparable_export(
        [
            {
                "listened_at": rfc3339(at),
                "client": client or "",
                "track": {"mbid": t_mbid, "duration": duration, "aliases": aliases["track"][track]},
                "album": {
                    "image_url": image or "",
                    "mbid": r_mbid,
                    "aliases": aliases["release"][release],
                    "various_artists": bool(various),
                },
                "artists": artists[track],
            }
            for at, client, track, t_mbid, duration, release, r_mbid, image, various in listens
        ]
    )


# --- spotify -------------------------------------------------------------------------------

SPOTIFY_SKIPS = {
    "podcast episode": 1,
    "audiobook": 1,
    "no track title": 1,
    "no valid time": 1,
    "track title is not text": 1,
}


@pytest.mark.parametrize(
    ("min_played", "per_artist", "not_counted"),
    [
        # Koito counts only plays that ended with "trackdone".
        (
            None,
            {
                "Björk": 1,
                "宇多田ヒカル": 1,
                "Daft Punk": 1,
                "Pharrell Williams": 1,
                "Nile Rodgers": 1,
            },
            {"not played to the end": 3},
        ),
        # --min-played 30 also counts the 45 s and the 10 min partial plays, not the 5 s skip.
        (
            30,
            {
                "Björk": 1,
                "宇多田ヒカル": 1,
                "Daft Punk": 1,
                "Pharrell Williams": 1,
                "Nile Rodgers": 1,
                "Sigur Rós": 2,
            },
            {"played less than 30 s": 1},
        ),
    ],
)
def test_spotify_counting_rule(
    any_db: Database, min_played: int | None, per_artist: dict[str, int], not_counted: dict
) -> None:
    summary = import_files(
        any_db, "spotify", EXTENDED, source_options=SourceOptions(min_played_s=min_played)
    )

    assert listens_per_artist(any_db) == per_artist
    assert dict(summary.skip_reasons) == {**SPOTIFY_SKIPS, **not_counted}
    assert (summary.read, summary.inserted) == (11, sum(listens_per_track(any_db).values()))
    assert clients(any_db) == {"spotify": summary.inserted}


def test_spotify_names_and_durations(any_db: Database) -> None:
    import_files(any_db, "spotify", EXTENDED, source_options=SourceOptions(min_played_s=30))

    lucky = "Get Lucky (feat. Pharrell Williams & Nile Rodgers)"
    assert track_facts(any_db) == {
        "Jóga": ("Homogenic", 305, None),  # ms_played 305123 // 1000, as Koito stores it
        "First Love": ("First Love", 259, None),
        lucky: ("Random Access Memories", 369, None),
        # A partial play says nothing about the track's length.
        "Hoppípolla": ("Takk...", 0, None),
        "Svefn-g-englar": ("Ágætis byrjun", 0, None),
    }
    assert track_artists(any_db, lucky) == [
        ("Daft Punk", True),
        ("Nile Rodgers", False),
        ("Pharrell Williams", False),
    ]
    assert listen_times(any_db, "First Love") == [1677801599]  # 2023-03-02T23:59:59Z


def test_spotify_directory_and_export_zip_give_one_summary(
    fresh_db: DatabaseFactory, backend: str, tmp_path: Path
) -> None:
    members = spotify_account_data(tmp_path / "Spotify Extended Streaming History")
    archive = make_zip(tmp_path / "my_spotify_data.zip", members)
    results = []
    for source in (tmp_path / "Spotify Extended Streaming History", archive):
        db = fresh_db(backend)
        results.append((counts(import_files(db, "spotify", source)), catalog(db)))
        assert_unique_artist_names(db)
    (summary, built), (zipped, zipped_built) = results

    assert (summary["read"], summary["inserted"], summary["duplicates"]) == (18, 6, 1)
    assert summary["skip_reasons"] == {
        **SPOTIFY_SKIPS,
        "podcast episode": 2,
        "not played to the end": 5,
    }
    assert summary["batches"] == 1
    assert zipped == summary
    assert zipped_built == built
    # The Hoppípolla that ran to the end in the second file gives the track its length.
    assert ("Hoppípolla", "Takk...", 268, None) in built["tracks"]


@pytest.mark.parametrize("batch_size", [1, 5000])
def test_spotify_partial_play_first_then_finished_play_sets_the_duration(
    any_db: Database, tmp_path: Path, batch_size: int
) -> None:
    """Koito stores a scrobble's duration on a track that has none (SPEC §3, Track)."""
    history = tmp_path / "Streaming_History_Audio_2024_0.json"
    history.write_text(
        json.dumps(
            [
                spotify_play(
                    "2024-02-01T06:00:00Z",
                    "Sigur Rós",
                    "Hoppípolla",
                    "Takk...",
                    95_000,
                    reason_end="endplay",
                ),
                spotify_play("2024-02-01T07:00:00Z", "Sigur Rós", "Hoppípolla", "Takk...", 268_000),
            ]
        )
    )
    options = SourceOptions(min_played_s=30)
    summary = import_files(
        any_db, "spotify", history, source_options=options, batch_size=batch_size
    )

    assert (summary.inserted, summary.tracks_created) == (2, 1)
    assert track_facts(any_db) == {"Hoppípolla": ("Takk...", 268, None)}


# --- lastfm --------------------------------------------------------------------------------


def test_lastfm_json_keeps_mbids_and_koitos_album_fallback(any_db: Database) -> None:
    summary = import_files(any_db, "lastfm", LASTFM / "recenttracks.json")

    assert dict(summary.skip_reasons) == {
        "now playing": 1,
        "no artist": 1,
        "no valid time": 1,
        "track title is not text": 1,
    }
    assert listens_per_artist(any_db) == {
        "Björk": 1,
        "Sigur Rós": 1,
        "Daft Punk": 1,
        "Pharrell Williams": 1,
        "宇多田ヒカル": 1,
    }
    assert mbids(any_db, "artists_with_name", "name") == {
        "Björk": BJORK,
        "Sigur Rós": SIGUR_ROS,
        "Daft Punk": None,
        "Pharrell Williams": None,
        "宇多田ヒカル": UTADA,
    }
    assert mbids(any_db, "releases_with_title", "title") == {
        "Homogenic": HOMOGENIC,
        "Hoppípolla": None,  # no album: Koito names the release after the track
        "Random Access Memories": RAM,
        "First Love": None,
    }
    assert mbids(any_db, "tracks_with_title", "title") == {
        "Jóga": JOGA,
        "Hoppípolla": None,
        "Get Lucky": None,
        "Automatic": None,
    }
    assert track_artists(any_db, "Get Lucky") == [("Daft Punk", True), ("Pharrell Williams", False)]
    # The now-playing Jóga (no date) is not a listen; the dated one is.
    assert listen_times(any_db, "Jóga") == [1612101780]
    # No uts: the text date "02 Jan 2021, 15:04" is read as UTC.
    assert listen_times(any_db, "Automatic") == [1609599840]
    assert clients(any_db) == {"lastfm": 4}


@pytest.mark.parametrize(
    ("name", "artist_mbids", "joga", "no_album"),
    [
        # artist,album,track,date with no header: no MBIDs, text and unix dates.
        (
            "scrobbles.csv",
            {"Björk": None, "Tyler, The Creator": None, "宇多田ヒカル": None},
            ("Homogenic", 0, None),
            "First Love",
        ),
        # A header naming uts and the *_mbid columns.
        (
            "scrobbles-header.csv",
            {"Björk": BJORK, "Sigur Rós": SIGUR_ROS},
            ("Homogenic", 0, JOGA),
            "Hoppípolla",
        ),
    ],
)
def test_lastfm_csv_with_and_without_header(
    any_db: Database, name: str, artist_mbids: dict, joga: tuple, no_album: str
) -> None:
    summary = import_files(any_db, "lastfm", LASTFM / name)

    # One listen each; "Tyler, The Creator" stays one artist (a comma is no separator).
    assert listens_per_artist(any_db) == dict.fromkeys(artist_mbids, 1)
    assert summary.inserted == len(artist_mbids)
    assert mbids(any_db, "artists_with_name", "name") == artist_mbids
    release_mbid = HOMOGENIC if joga[2] else None
    assert mbids(any_db, "releases_with_title", "title")["Homogenic"] == release_mbid
    facts = track_facts(any_db)
    assert facts["Jóga"] == joga
    assert facts[no_album][0] == no_album  # an empty album column: the track title
    assert listen_times(any_db, "Jóga") == [1612101780]  # "31 Jan 2021 14:03", or its uts
    assert clients(any_db) == {"lastfm": summary.inserted}


def test_lastfm_mbids_fill_what_an_earlier_import_lacked(any_db: Database) -> None:
    """Koito gives a found artist, release and track the scrobble's MBID when they have none:
    the CSV (no MBIDs) first, then the JSON export that has them."""
    import_files(any_db, "lastfm", LASTFM / "scrobbles.csv")
    import_files(any_db, "lastfm", LASTFM / "recenttracks.json")

    assert mbids(any_db, "artists_with_name", "name")["Björk"] == BJORK
    assert mbids(any_db, "releases_with_title", "title")["Homogenic"] == HOMOGENIC
    assert mbids(any_db, "tracks_with_title", "title")["Jóga"] == JOGA


# --- listenbrainz --------------------------------------------------------------------------


def test_listenbrainz_export_zip(any_db: Database, tmp_path: Path) -> None:
    summary = import_files(any_db, "listenbrainz", listenbrainz_zip(tmp_path))

    assert dict(summary.skip_reasons) == {"no artist": 1, "time out of range": 1}
    assert (summary.read, summary.inserted) == (9, 7)
    assert listens_per_artist(any_db) == {
        "Björk": 1,
        "Daft Punk": 2,
        "Pharrell Williams": 1,
        "Nile Rodgers": 1,
        "Julian Casablancas": 1,
        "宇多田ヒカル": 2,
        "Skrillex": 1,
        "Sigur Rós": 2,
    }
    assert_unique_artist_names(any_db)
    assert clients(any_db) == {
        "Strawberry": 1,  # media_player
        "Pano Scrobbler": 1,  # no media player: the submission client
        "ListenBrainz Spotify Importer": 1,  # media_player ""
        "Navidrome": 1,  # media_player null
        "Feishin": 1,
        "mpv": 1,
        "": 1,  # neither
    }


def test_listenbrainz_mbids_and_multi_artist_credits(any_db: Database, tmp_path: Path) -> None:
    import_files(any_db, "listenbrainz", listenbrainz_zip(tmp_path))

    assert mbids(any_db, "artists_with_name", "name") == {
        "Björk": BJORK,
        # From mbid_mapping.artists, filling what additional_info lacks.
        "Daft Punk": DAFT_PUNK,
        "Pharrell Williams": PHARRELL,
        "Nile Rodgers": None,  # its mapped MBID is not a UUID
        "Julian Casablancas": JULIAN,
        # First created without an MBID (First Love), then given the one Face My Fears credits.
        "宇多田ヒカル": UTADA,
        "Skrillex": SKRILLEX,
        "Sigur Rós": None,  # a bare artist MBID with no name attached is not stored
    }
    assert track_artists(any_db, "Get Lucky") == [
        ("Daft Punk", True),
        ("Nile Rodgers", False),
        ("Pharrell Williams", False),
    ]
    assert track_artists(any_db, "Face My Fears") == [("宇多田ヒカル", True), ("Skrillex", False)]
    assert track_artists(any_db, "Instant Crush") == [
        ("Daft Punk", True),
        ("Julian Casablancas", False),
    ]
    facts = track_facts(any_db)
    assert facts["Jóga"] == ("Homogenic", 305, JOGA)  # duration_ms 305123
    assert facts["Get Lucky"] == (
        "Random Access Memories",
        369,
        "b5a2c5a1-3a7e-4cb0-9cf6-9a3b1c2d4e5f",
    )
    assert facts["Instant Crush"] == (
        "Random Access Memories",
        337,  # duration in seconds
        "b2ab7ab7-d6d1-4fcd-9d1c-0d1f1f0a9a4e",
    )
    assert facts["Face My Fears"][1:] == (228, "3c2c9b0e-7d8e-4b8f-a3c5-6e0f2b9d1a47")
    assert facts["Hoppípolla"] == ("Hoppípolla", 0, "f5e3b9e2-27e2-4c1a-8c8e-1f2a3b4c5d6e")
    assert mbids(any_db, "releases_with_title", "title")["Random Access Memories"] == RAM


# --- koito ---------------------------------------------------------------------------------


def test_koito_export_round_trip(any_db: Database) -> None:
    summary = import_files(any_db, "koito", KOITO_EXPORT)

    assert (summary.read, summary.skipped, summary.inserted) == (6, 0, 6)
    assert (summary.artists_created, summary.releases_created, summary.tracks_created) == (4, 3, 4)
    assert exported(any_db) == comparable_export(as_koito_saves(koito_export()))


def as_koito_saves(listens: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The export as Koito's own importer stores it (checked against Koito v0.1.10): an
    entity's primary alias gets source Canonical, its other aliases MusicBrainz (artists,
    albums) or Import (tracks), whatever sources the export gave."""

    def entity(e: dict[str, Any], other: str) -> dict[str, Any]:
        aliases = [{**a, "source": "Canonical" if a["is_primary"] else other} for a in e["aliases"]]
        return {**e, "aliases": aliases}

    return [
        {
            **x,
            "track": entity(x["track"], "Import"),
            "album": entity(x["album"], "MusicBrainz"),
            "artists": [entity(a, "MusicBrainz") for a in x["artists"]],
        }
        for x in listens
    ]


def test_koito_images_wait_for_koito_to_fetch_them(any_db: Database) -> None:
    import_files(any_db, "koito", KOITO_EXPORT)

    releases = query(any_db, "SELECT title, image, image_source FROM releases_with_title")
    artists = query(any_db, "SELECT name, image, image_source FROM artists_with_name")
    images = {name: (image, source) for name, image, source in releases + artists}
    for name in ("KINGDOM HEARTS III Original Soundtrack", "Homogenic", "宇多田ヒカル"):
        image, source = images[name]
        assert source.startswith(("http://", "https://"))
        assert str(uuid.UUID(str(image))) == str(image), f"{name}: image is not a UUID"
    assert "&size=xl" in images["KINGDOM HEARTS III Original Soundtrack"][1]
    # An uploaded image's path is kept as its source, with nothing to fetch.
    assert images["Björk"] == (None, "/images/artist/uploaded.jpg")
    assert images["Skrillex"] == (None, None)
    assert images["Takk..."] == (None, None)
    various = query(
        any_db, "SELECT title FROM releases_with_title WHERE various_artists = %s", True
    )
    assert various == [("KINGDOM HEARTS III Original Soundtrack",)]


def test_koito_other_version_names_the_file(any_db: Database, tmp_path: Path) -> None:
    other = tmp_path / "koito_export_1750251413.json"
    other.write_text(KOITO_EXPORT.read_text().replace('"version": "1"', '"version": "2"', 1))

    with pytest.raises(InputError, match='version "2" is not supported') as error:
        import_files(any_db, "koito", other)
    assert str(other) in str(error.value)


# --- every source --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "path"),
    [
        ("spotify", EXTENDED),
        ("spotify", SPOTIFY / "StreamingHistory_music_0.json"),
        ("lastfm", LASTFM / "recenttracks.json"),
        ("lastfm", LASTFM / "scrobbles.csv"),
        ("lastfm", LASTFM / "scrobbles-header.csv"),
        ("listenbrainz", LB_EXPORT),
        ("listenbrainz", LB_MULTI),
        ("listenbrainz", LB / "listens_old_export.json"),
        ("koito", KOITO_EXPORT),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_second_import_inserts_and_creates_nothing(
    any_db: Database, source: str, path: Path
) -> None:
    first = import_files(any_db, source, path)
    before = catalog(any_db)
    second = import_files(any_db, source, path)

    assert first.inserted > 0
    assert (second.inserted, second.duplicates) == (0, first.inserted)
    assert (second.artists_created, second.releases_created, second.tracks_created) == (0, 0, 0)
    assert catalog(any_db) == before


@pytest.mark.parametrize(
    ("path", "source", "inserted"),
    [
        (EXTENDED, "spotify", 3),
        (LASTFM / "recenttracks.json", "lastfm", 4),
        (LASTFM / "scrobbles.csv", "lastfm", 3),
        (LB_NOVEMBER, "listenbrainz", 3),
        (KOITO_EXPORT, "koito", 6),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else str(v),
)
def test_cli_auto_detects_the_source(
    any_db: Database, path: Path, source: str, inserted: int
) -> None:
    url = f"sqlite:///{any_db.path.resolve()}" if any_db.kind == "sqlite" else any_db.url
    command = [sys.executable, "-m", "koito_import", "auto", str(path), "--db", url]
    done = subprocess.run(
        [*command, "--json", "--quiet"],
        cwd=REPO,  # `-m` imports the package from here, the code under test
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert f"detected a {source} export" in done.stderr
    summary = json.loads(done.stdout)
    assert (summary["inserted"], summary["duplicates"], summary["interrupted"]) == (
        inserted,
        0,
        False,
    )
    assert summary["read"] == inserted + summary["skipped"]
    assert summary["user"] == "admin"


def test_koito_listen_without_album_alias_gets_the_track_title_as_album(
    any_db: Database, tmp_path: Path
) -> None:
    listen = {
        "listened_at": "2024-05-01T10:00:00Z",
        "client": "test",
        "track": {"mbid": None, "duration": 200,
                  "aliases": [{"alias": "Sólo", "source": "Canonical", "is_primary": True}]},
        "album": {"image_url": "", "mbid": None, "aliases": [], "various_artists": False},
        "artists": [
            {"image_url": "", "mbid": None, "is_primary": True,
             "aliases": [{"alias": "Ñandú", "source": "Canonical", "is_primary": True}]},
            {"image_url": "", "mbid": None, "is_primary": False,
             "aliases": [{"alias": "no primary", "source": "User", "is_primary": False}]},
        ],
    }  # fmt: skip
    export = tmp_path / "koito_export.json"
    export.write_text(json.dumps({"version": "1", "user": "admin", "listens": [listen]}))

    assert import_files(any_db, "koito", export).inserted == 1
    assert rows(
        any_db,
        """SELECT r.title FROM tracks_with_title t
        JOIN releases_with_title r ON r.id = t.release_id""",
    ) == [("Sólo",)]
    assert rows(any_db, "SELECT name FROM artists_with_name") == [("Ñandú",)]
    assert rows(any_db, "SELECT count(*) FROM artists") == [(1,)]
