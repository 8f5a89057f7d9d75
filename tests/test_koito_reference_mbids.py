"""Regression tests for the scrobbles of one song that Koito resolves differently (issue 10):
MBIDs on some scrobbles only, an MBID naming an entity of another text, durations, and Koito's
own turns where an artist MBID is unknown. Each fixture was imported by Koito v0.1.10's own
importer (MusicBrainz, Deezer and the Cover Art Archive disabled; SQLite and PostgreSQL alike);
the rows it built are written down here, summed up by content (koito_summary), and koito-import
must build the same from the same file on both back ends. No Koito binary is needed.
"""

from __future__ import annotations

import pytest
from conftest import FIXTURES
from koito_summary import Expected, imported, summary
from support import import_files

from koito_import.compare.snapshot import load
from koito_import.core.dburl import Database

KOITO_BUILT = [
    Expected(
        "lastfm/recenttracks-recording-mbid-two-titles.json",
        "a recording MBID under two titles: the scrobble without it is a track of its own",
        [("Björk", None)],
        [
            ("Jóga (Remastered)", "Homogenic", "Björk*", "Björk*", None, None, 0, 1),
            (
                "Jóga",
                "Homogenic",
                "Björk*",
                "Björk*",
                "1e3d6d3a-7c0f-4b8e-9a57-5b1d4e6f7a01",
                None,
                0,
                2,
            ),
        ],
    ),
    Expected(
        "lastfm/recenttracks-release-mbid-two-titles.json",
        "a release MBID under two album texts: the text without it makes its own release",
        [("Sigur Rós", None)],
        [
            (
                "Hoppípolla",
                "Takk... (Deluxe Edition)",
                "Sigur Rós*",
                "Sigur Rós*",
                None,
                None,
                0,
                1,
            ),
            (
                "Hoppípolla",
                "Takk...",
                "Sigur Rós*",
                "Sigur Rós*",
                None,
                "d2b1e1f3-4c5f-4a6b-9c7d-8e9f0a1b2c34",
                0,
                2,
            ),
        ],
    ),
    Expected(
        "lastfm/recenttracks-artist-mbid-two-texts.json",
        "one artist MBID under two artist texts: the MBID finds the first text's artist",
        [("Sigur Ros", None), ("Sigur Rós", "f6f2326f-6b25-4170-b89d-e235b25508e8")],
        [
            ("Glósóli", "Takk...", "Sigur Ros*", "Sigur Ros*", None, None, 0, 1),
            ("Glósóli", "Takk...", "Sigur Rós*", "Sigur Rós*", None, None, 0, 2),
        ],
    ),
    Expected(
        "lastfm/recenttracks-mbid-late.json",
        "an artist MBID arriving on a later scrobble of another text",
        [("Sigur Ros", "f6f2326f-6b25-4170-b89d-e235b25508e8"), ("Sigur Rós", None)],
        [
            ("Glósóli", "Takk...", "Sigur Ros*", "Sigur Ros*", None, None, 0, 2),
            ("Glósóli", "Takk...", "Sigur Rós*", "Sigur Rós*", None, None, 0, 1),
        ],
    ),
    Expected(
        "lastfm/recenttracks-release-mbid-late.json",
        "a release MBID arriving after scrobbles of the album without it",
        [("Sigur Rós", None)],
        [
            (
                "Hoppípolla",
                "Takk... (Deluxe Edition)",
                "Sigur Rós*",
                "Sigur Rós*",
                None,
                "d2b1e1f3-4c5f-4a6b-9c7d-8e9f0a1b2c34",
                0,
                1,
            ),
            ("Hoppípolla", "Takk...", "Sigur Rós*", "Sigur Rós*", None, None, 0, 1),
            (
                "Sé lest",
                "Takk... (Deluxe Edition)",
                "Sigur Rós*",
                "Sigur Rós*",
                None,
                "d2b1e1f3-4c5f-4a6b-9c7d-8e9f0a1b2c34",
                0,
                1,
            ),
        ],
    ),
    Expected(
        "lastfm/recenttracks-recording-mbid-late.json",
        "a recording MBID arriving after the song was scrobbled on two albums",
        [("Björk", None)],
        [
            (
                "Jóga",
                "Greatest Hits",
                "Björk*",
                "Björk*",
                "1e3d6d3a-7c0f-4b8e-9a57-5b1d4e6f7a01",
                None,
                0,
                2,
            ),
            ("Jóga", "Homogenic", "Björk*", "Björk*", None, None, 0, 1),
        ],
    ),
    Expected(
        "lastfm/recenttracks-mbids-spread.json",
        "one song's MBIDs spread over its scrobbles: each gives what it has",
        [("Björk", "87c5dedd-371d-4a53-9f7f-80522fb7f3cb")],
        [
            (
                "Jóga",
                "Homogenic",
                "Björk*",
                "Björk*",
                "1e3d6d3a-7c0f-4b8e-9a57-5b1d4e6f7a01",
                "c1a0f0d2-3b4e-4f5a-8b6c-7d8e9f0a1b23",
                0,
                2,
            ),
        ],
    ),
    Expected(
        "lastfm/recenttracks-release-two-mbids.json",
        "one album text with two release MBIDs: the first stays",
        [("Björk", "87c5dedd-371d-4a53-9f7f-80522fb7f3cb")],
        [
            (
                "Jóga",
                "Homogenic",
                "Björk*",
                "Björk*",
                "1e3d6d3a-7c0f-4b8e-9a57-5b1d4e6f7a01",
                "c1a0f0d2-3b4e-4f5a-8b6c-7d8e9f0a1b23",
                0,
                2,
            ),
        ],
    ),
    Expected(
        "listenbrainz/recording-mbid-two-titles.jsonl",
        "ListenBrainz: a recording MBID under two titles",
        [("Daft Punk", "056e4f3e-d505-4dad-8ec1-d04f521cbb56")],
        [
            (
                "Something About Us (Love Theme from Interstella 5555)",
                "Discovery",
                "Daft Punk*",
                "Daft Punk*",
                None,
                None,
                0,
                1,
            ),
            (
                "Something About Us",
                "Discovery",
                "Daft Punk*",
                "Daft Punk*",
                "1e3d6d3a-7c0f-4b8e-9a57-5b1d4e6f7a01",
                None,
                0,
                2,
            ),
        ],
    ),
    Expected(
        "listenbrainz/release-mbid-two-titles.jsonl",
        "ListenBrainz: a release MBID under two album texts",
        [("Rosalía", "4b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e")],
        [
            (
                "Malamente",
                "El Mal Querer",
                "Rosalía*",
                "Rosalía*",
                None,
                "d2b1e1f3-4c5f-4a6b-9c7d-8e9f0a1b2c34",
                0,
                1,
            ),
            (
                "Pienso en tu mirá",
                "El Mal Querer",
                "Rosalía*",
                "Rosalía*",
                None,
                "d2b1e1f3-4c5f-4a6b-9c7d-8e9f0a1b2c34",
                0,
                1,
            ),
            ("Pienso en tu mirá", "El mal querer", "Rosalía*", "Rosalía*", None, None, 0, 1),
        ],
    ),
    Expected(
        "listenbrainz/mbid-late.jsonl",
        "ListenBrainz: MBIDs arriving on a later listen",
        [("Sigur Ros", None), ("Sigur Rós", "f6f2326f-6b25-4170-b89d-e235b25508e8")],
        [
            ("Glósóli", "Takk...", "Sigur Ros*", "Sigur Ros*", None, None, 0, 1),
            ("Glósóli", "Takk...", "Sigur Rós*", "Sigur Rós*", None, None, 0, 2),
        ],
    ),
    Expected(
        "listenbrainz/duration-first.jsonl",
        "ListenBrainz: the first listen's duration, not the MBID-carrying listen's",
        [("Ólafur Arnalds", "3a5a8f6e-1c1b-4f6c-9b3f-2c1e4d5f6a7b")],
        [
            (
                "Saman",
                "Living Room Songs",
                "Ólafur Arnalds*",
                "Ólafur Arnalds*",
                "1e3d6d3a-7c0f-4b8e-9a57-5b1d4e6f7a01",
                None,
                200,
                2,
            ),
        ],
    ),
    Expected(
        "listenbrainz/bare-artist-mbids-known.jsonl",
        "ListenBrainz: bare artist MBIDs naming known artists, and the same song without them",
        [
            ("MØ", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"),
            ("MØ & 宇多田ヒカル", None),
            ("宇多田ヒカル", "6ffb8ea9-2370-44d8-b678-e9237bbd347b"),
        ],
        [
            ("Saman", "Saman", "MØ & 宇多田ヒカル*", "MØ & 宇多田ヒカル*", None, None, 0, 1),
            ("Saman", "Saman", "MØ*, 宇多田ヒカル", "MØ*, 宇多田ヒカル", None, None, 0, 2),
        ],
    ),
    Expected(
        "listenbrainz/artist-mbids-first-known.jsonl",
        "ListenBrainz: the first artist MBID known, the second not: Koito keeps only the names",
        [
            ("MØ", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"),
            ("MØ & 宇多田ヒカル", None),
            ("宇多田ヒカル", None),
        ],
        [
            ("Final Song", "Forever Neverland", "MØ*", "MØ*", None, None, 0, 1),
            ("Kamikaze", "Kamikaze", "MØ & 宇多田ヒカル*", "MØ & 宇多田ヒカル*", None, None, 0, 1),
            ("Saman", "Saman", "宇多田ヒカル*, MØ", "宇多田ヒカル*, MØ", None, None, 0, 1),
        ],
    ),
    Expected(
        "koito/koito_export_duration_later.json",
        "a Koito export: a found track keeps its duration",
        [("Björk", None)],
        [
            ("Jóga", "Homogenic", "Björk*", "Björk*", None, None, 0, 2),
        ],
    ),
]


@pytest.mark.parametrize("case", KOITO_BUILT, ids=lambda c: c.name)
def test_koito_built_the_same(any_db: Database, case: Expected) -> None:
    assert imported(any_db, case.fixture) == (case.artists, case.tracks), case.what


@pytest.mark.parametrize("case", KOITO_BUILT[:8], ids=lambda c: c.name)
def test_importing_again_adds_nothing(any_db: Database, case: Expected) -> None:
    """Scrobbles of one text that Koito resolved apart are cached apart: each maps to its own
    track again."""
    source = case.fixture.split("/")[0]
    first = import_files(any_db, source, FIXTURES / case.fixture)
    again = import_files(any_db, source, FIXTURES / case.fixture)

    assert (again.inserted, again.duplicates) == (0, first.inserted)
    assert (again.artists_created, again.releases_created, again.tracks_created) == (0, 0, 0)
    assert summary(load(any_db)) == (case.artists, case.tracks)
