"""Koito export reader: version 1, pre-resolved entities plus the plain fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from source_helpers import FIXTURES, UTADA, read, reasons

from koito_import.core.model import Alias
from koito_import.sources.base import InputError

EXPORT = FIXTURES / "koito" / "koito_export.json"
AMERICAN_FOOTBALL = "4ebb5ad3-9018-407d-8c24-c03011ab9ac6"
LP3 = "d0ec30bd-7cdc-417c-979d-5a0631b8a161"


def test_listens_with_plain_fields() -> None:
    scrobbles, skips = read("koito", EXPORT)
    assert [(s.artist, s.track, s.release, s.listened_at, s.client) for s in scrobbles] == [
        (
            "American Football",
            "Every Wave To Ever Rise (feat. Elizabeth Powell)",
            "American Football (LP3)",
            1641681128,
            "test client",
        ),
        (
            "American Football",
            "Every Wave To Ever Rise (feat. Elizabeth Powell)",
            "American Football (LP3)",
            1642293805,
            None,
        ),
        ("宇多田ヒカル", "First Love", "First Love", 1683255905, "Navidrome"),  # +02:00, .75 s
        (
            "Various Artist",
            "Compilation Track",
            "Now That's What I Call Music! 100",
            1683331200,
            "Navidrome",
        ),
    ]
    first = scrobbles[0]
    assert first.artist_names == ["American Football", "Elizabeth Powell"]
    assert first.artist_mbids == [AMERICAN_FOOTBALL]
    assert first.artist_mbid_map == [("American Football", AMERICAN_FOOTBALL)]
    assert (first.release_mbid, first.recording_mbid, first.duration) == (LP3, None, 354)
    assert reasons(skips) == {"no valid time": 1, "no artists": 1}
    assert skips[0].where == f"{EXPORT} listen #5"


def test_entities_are_handed_on_whole() -> None:
    scrobbles, _ = read("koito", EXPORT)
    entities = scrobbles[0].koito
    assert entities is not None
    assert [a.name for a in entities.artists] == ["American Football", "Elizabeth Powell"]
    assert entities.artists[0].image_url.startswith("https://cdn-images.dzcdn.net/")
    assert entities.album.mbid == LP3 and not entities.album.various_artists
    assert entities.track.duration == 354
    utada = scrobbles[2].koito
    assert utada is not None
    assert utada.artists[0].mbid == UTADA
    assert utada.artists[0].image_url == "/images/artist/uploaded.jpg"
    assert utada.artists[0].aliases == [
        Alias("宇多田ヒカル", "Canonical", True),
        Alias("Hikaru Utada", "MusicBrainz", False),
        Alias("Utada", "User", False),
    ]
    assert [a.alias for a in utada.track.aliases] == ["First Love", "ファースト・ラヴ"]
    assert scrobbles[3].koito is not None and scrobbles[3].koito.album.various_artists


def test_primary_artist_leads() -> None:
    second = read("koito", EXPORT)[0][1]
    assert second.koito is not None
    assert [a.name for a in second.koito.artists] == ["American Football", "Elizabeth Powell"]


def test_other_versions_are_refused(tmp_path: Path) -> None:
    data = json.loads(EXPORT.read_text())
    data["version"] = "2"
    path = tmp_path / "koito_export_v2.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match='version "2" is not supported') as error:
        read("koito", path)
    assert str(path) in str(error.value)


def test_no_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"listens": []}')
    with pytest.raises(InputError, match="not a Koito export"):
        read("koito", path)
