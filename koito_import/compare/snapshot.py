"""A Koito database read whole into plain rows, the same on both back ends.

Ids are kept only so the comparison can follow links; nothing is ever compared by id. Image
UUIDs are random (Koito draws a new one for every image it will fetch), so only whether an
entity has one is kept.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from koito_import.core.dburl import Database

AliasSet = tuple[tuple[str, str, bool], ...]  # (alias, source, is_primary), sorted


@dataclass(slots=True)
class Artist:
    aliases: AliasSet
    mbid: str | None
    image: bool
    image_source: str | None

    @property
    def name(self) -> str:
        return _primary(self.aliases)


@dataclass(slots=True)
class Release:
    aliases: AliasSet
    mbid: str | None
    various_artists: bool
    image: bool
    image_source: str | None
    artists: dict[int, bool] = field(default_factory=dict)  # artist id -> is_primary

    @property
    def title(self) -> str:
        return _primary(self.aliases)


@dataclass(slots=True)
class Track:
    aliases: AliasSet
    mbid: str | None
    duration: int
    release: int
    artists: dict[int, bool] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return _primary(self.aliases)


@dataclass(slots=True)
class Listen:
    track: int
    listened_at: int  # unix seconds (a PostgreSQL time's fraction of a second is cut off)
    client: str | None
    user: str


@dataclass(slots=True)
class Snapshot:
    kind: str  # "postgresql" or "sqlite"
    artists: dict[int, Artist]
    releases: dict[int, Release]
    tracks: dict[int, Track]
    listens: list[Listen]


def _primary(aliases: AliasSet) -> str:
    return next((a for a, _, primary in aliases if primary), aliases[0][0] if aliases else "")


QUERIES = {
    "artists": "SELECT id, musicbrainz_id, image, image_source FROM artists",
    "artist_aliases": "SELECT artist_id, alias, source, is_primary FROM artist_aliases",
    "releases": "SELECT id, musicbrainz_id, image, image_source, various_artists FROM releases",
    "release_aliases": "SELECT release_id, alias, source, is_primary FROM release_aliases",
    "artist_releases": "SELECT artist_id, release_id, is_primary FROM artist_releases",
    "tracks": "SELECT id, musicbrainz_id, duration, release_id FROM tracks",
    "track_aliases": "SELECT track_id, alias, source, is_primary FROM track_aliases",
    "artist_tracks": "SELECT artist_id, track_id, is_primary FROM artist_tracks",
    "users": "SELECT id, username FROM users",
}
LISTENS = {
    "sqlite": "SELECT track_id, listened_at, client, user_id FROM listens",
    "postgresql": (
        "SELECT track_id, floor(extract(epoch FROM listened_at))::bigint, client, user_id"
        " FROM listens"
    ),
}


def _fetch_all(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    queries = {**QUERIES, "listens": LISTENS[db.kind]}
    if db.kind == "sqlite":
        conn = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)
        try:
            return {name: conn.execute(sql).fetchall() for name, sql in queries.items()}
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(db.url) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in queries.items()}


def _aliases(rows: list[tuple[Any, ...]]) -> dict[int, AliasSet]:
    found: dict[int, list[tuple[str, str, bool]]] = defaultdict(list)
    for owner, alias, source, primary in rows:
        found[owner].append((alias, source, bool(primary)))
    return {owner: tuple(sorted(aliases)) for owner, aliases in found.items()}


def _mbid(value: Any) -> str | None:
    return str(value).lower() if value is not None else None


def load(db: Database) -> Snapshot:
    rows = _fetch_all(db)
    artist_aliases = _aliases(rows["artist_aliases"])
    release_aliases = _aliases(rows["release_aliases"])
    track_aliases = _aliases(rows["track_aliases"])
    artists = {
        id_: Artist(artist_aliases.get(id_, ()), _mbid(mbid), image is not None, source)
        for id_, mbid, image, source in rows["artists"]
    }
    releases = {
        id_: Release(release_aliases.get(id_, ()), _mbid(mbid), bool(va), image is not None, src)
        for id_, mbid, image, src, va in rows["releases"]
    }
    for artist_id, release_id, primary in rows["artist_releases"]:
        releases[release_id].artists[artist_id] = bool(primary)
    tracks = {
        id_: Track(track_aliases.get(id_, ()), _mbid(mbid), duration, release)
        for id_, mbid, duration, release in rows["tracks"]
    }
    for artist_id, track_id, primary in rows["artist_tracks"]:
        tracks[track_id].artists[artist_id] = bool(primary)
    users = dict(rows["users"])
    listens = [
        Listen(track, int(at), client, users[user]) for track, at, client, user in rows["listens"]
    ]
    return Snapshot(db.kind, artists, releases, tracks, listens)
