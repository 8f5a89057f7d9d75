"""What koito-import builds where it deliberately differs from Koito (README, "Proven against
Koito"): each input was also imported by Koito v0.1.10, and `what` tells what Koito built; the
rows asserted are koito-import's, on both back ends (summed up by koito_summary)."""

from __future__ import annotations

import pytest
from koito_summary import Expected, imported

from koito_import.core.dburl import Database

BJORK = "87c5dedd-371d-4a53-9f7f-80522fb7f3cb"
CHOPIN = "The Chopin Project"
OLAFUR_ALICE = "Ólafur Arnalds*, Alice Sara Ott"
ONE_JOGA = [("Jóga", "Homogenic", "Björk*", "Björk*", None, None, 0, 2)]


CASES = [
    Expected(
        "maloja/artist-whitespace.json",
        "a second Björk (looked up as 'Björk ', stored trimmed), with its own album and track",
        [("Björk", None)],
        ONE_JOGA,
    ),
    Expected(
        "listenbrainz/artist-names-whitespace.jsonl",
        "a second Björk from `artist_names: ['Björk ']`, with its own album and track",
        [("Björk", None)],
        ONE_JOGA,
    ),
    Expected(
        "lastfm/recenttracks-artist-mbid-whitespace.json",
        "a second Björk from the name->MBID pair 'Björk ', with its own album and track",
        [("Björk", BJORK)],
        [("Hunter", "Homogenic", "Björk*", "Björk*", None, None, 0, 2)],
    ),
    Expected(
        "lastfm/recenttracks-artist-two-mbids.json",
        "MØ ends with the MBID of the last scrobble (b2c3…), which it logs it will not set",
        [("MØ", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")],
        [("Final Song", "Forever Neverland", "MØ*", "MØ*", None, None, 0, 2)],
    ),
    Expected(
        "listenbrainz/mapping-fewer-artists.jsonl",
        "宇多田ヒカル credited twice, so no track matches: a new track for the second listen",
        [("Skrillex", None), ("宇多田ヒカル", "6ffb8ea9-2370-44d8-b678-e9237bbd347b")],
        [
            (
                "Face My Fears",
                "Face My Fears",
                "宇多田ヒカル*, Skrillex",
                "宇多田ヒカル*, Skrillex",
                None,
                None,
                0,
                2,
            )
        ],
    ),
    Expected(
        "listenbrainz/old-mapping-artist-mbids.jsonl",
        "drops `mbid_mapping.artist_mbids`: a new artist 'Sigur Ros' with its album and track",
        [("Sigur Rós", "f6f2326f-6b25-4170-b89d-e235b25508e8")],
        [("Glósóli", "Takk...", "Sigur Rós*", "Sigur Rós*", None, None, 0, 2)],
    ),
    Expected(
        "maloja/release-title-twice.json",
        "the second Nocturne scrobble goes to a new track on Ólafur Arnalds' older album",
        [("Alice Sara Ott", None), ("Ólafur Arnalds", None)],
        [
            ("Nocturne in C Minor", CHOPIN, "Alice Sara Ott*", "Alice Sara Ott*", None, None, 0, 2),
            ("Reminiscence", CHOPIN, OLAFUR_ALICE, OLAFUR_ALICE, None, None, 0, 1),
            ("Verses", CHOPIN, "Ólafur Arnalds*", OLAFUR_ALICE, None, None, 0, 1),
        ],
    ),
    Expected(
        "lastfm/recenttracks-feat-order-album.json",
        "Jónsi feat. Sigur Rós is credited to Sigur Rós first and put on Sigur Rós's album",
        [("Jónsi", None), ("Sigur Rós", None)],
        [
            ("Hoppípolla", "Takk...", "Jónsi*, Sigur Rós", "Jónsi*, Sigur Rós", None, None, 0, 1),
            ("Hoppípolla", "Takk...", "Sigur Rós*", "Sigur Rós*", None, None, 0, 1),
        ],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_what_koito_import_builds_instead(any_db: Database, case: Expected) -> None:
    assert imported(any_db, case.fixture) == (case.artists, case.tracks), f"Koito: {case.what}"
