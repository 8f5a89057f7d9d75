"""Koito's own export (`{"version": "1", "exported_at", "user", "listens": […]}`).

Each listen carries its artists, album and track already resolved, with all their aliases,
MBIDs and image URLs; the reader hands them on whole (`Scrobble.koito`) and also fills the
plain fields so the generic pipeline can key and count the listen.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from koito_import.core.model import Alias, KoitoEntity, KoitoListenEntities, Scrobble
from koito_import.sources.base import ByteCounter, InputError, Item, SourceOptions
from koito_import.sources.fields import (
    SkipItem,
    clean_text,
    convert_each,
    duration_s,
    iso_unix,
    mbid,
)
from koito_import.sources.inputs import Input
from koito_import.sources.jsonstream import json_header, json_items

SUPPORTED_VERSION = "1"


def accepts(name: str) -> bool:
    return name.lower().endswith(".json")


def read_input(inp: Input, counter: ByteCounter, options: SourceOptions) -> Iterator[Item]:
    _check_version(inp)
    raws = json_items(inp, counter, "listens.item")
    return convert_each(raws, listen_scrobble, f"{inp.name} listen")


def _check_version(inp: Input) -> None:
    # Koito writes the version first, so this reads only the file's first line or two.
    version = json_header(inp, stop="listens").get("version")
    if version is None:
        raise InputError(inp.name, 'not a Koito export (no "version" before "listens")')
    if str(version) != SUPPORTED_VERSION:
        raise InputError(
            inp.name,
            f'Koito export version "{version}" is not supported; '
            f'koito-import reads version "{SUPPORTED_VERSION}"',
        )


def listen_scrobble(raw: Any) -> Scrobble:
    if not isinstance(raw, dict):
        raise SkipItem("not an object")
    listened_at = iso_unix(raw.get("listened_at"))
    track = _entity(raw.get("track"), "track")
    album = _entity(raw.get("album"), "album")
    artists = _artists(raw.get("artists"))
    if not track.name:
        raise SkipItem("track has no primary alias")
    if not album.name:  # as for any scrobble with no album, the track title names it
        album.aliases.insert(0, Alias(track.name, "Canonical", True))
    names = list(dict.fromkeys(a.name for a in artists if a.name))
    return Scrobble(
        artist=artists[0].name,
        track=track.name,
        release=album.name,
        listened_at=listened_at,
        artist_names=names,
        artist_mbids=list(dict.fromkeys(a.mbid for a in artists if a.mbid)),
        artist_mbid_map=[(a.name, a.mbid) for a in artists if a.mbid and a.name],
        recording_mbid=track.mbid,
        release_mbid=album.mbid,
        duration=track.duration,
        client=clean_text(raw.get("client")),
        koito=KoitoListenEntities(artists=artists, album=album, track=track),
    )


def _artists(value: Any) -> list[KoitoEntity]:
    if not isinstance(value, list) or not value:
        raise SkipItem("no artists")
    raw_artists = [a for a in value if isinstance(a, dict)]
    # The primary artist leads (Koito makes the first one primary when it creates a track);
    # the sort is stable, so exports that list it first keep their order.
    raw_artists.sort(key=lambda a: a.get("is_primary") is not True)
    artists = [_entity(a, "artist") for a in raw_artists]
    if not artists or not artists[0].name:
        raise SkipItem("artist has no primary alias")
    return [a for a in artists if a.name]  # Koito cannot name one without a primary alias


def _entity(value: Any, what: str) -> KoitoEntity:
    if not isinstance(value, dict):
        raise SkipItem(f"no {what}")
    url = value.get("image_url")
    return KoitoEntity(
        aliases=_aliases(value.get("aliases")),
        mbid=mbid(value.get("mbid")),
        image_url=url.replace("\x00", "") if isinstance(url, str) else "",
        various_artists=value.get("various_artists") is True,
        duration=duration_s(value.get("duration")),
    )


def _aliases(value: Any) -> list[Alias]:
    """Clean aliases, one per text (the text is part of the alias table's primary key)."""
    found: dict[str, Alias] = {}
    for entry in value if isinstance(value, list) else []:
        if not isinstance(entry, dict):
            continue
        text = clean_text(entry.get("alias"))
        if text is None:
            continue
        primary = entry.get("is_primary") is True
        if text in found:
            found[text].is_primary = found[text].is_primary or primary
        else:
            found[text] = Alias(text, clean_text(entry.get("source")) or "", primary)
    return list(found.values())
