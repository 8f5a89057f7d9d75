"""The seeded catalogue: exact numbers of distinct artists, releases and tracks, and how
popular each track is.

Importing any shape must create exactly `shape.expected()` whatever the format.  To keep that
true under Koito's matching rules (SPEC §3): artist names never contain anything Koito splits
on, release titles (including the track titles that stand in for a missing album) are unique
across the whole catalogue, track titles are unique within their release, and all of these
ignoring case.  A featured artist is always named in the title as `(feat. …)` too, so sources
without an artist list (Spotify, which Koito parses) resolve to the same artists as Maloja's
lists.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from itertools import accumulate

from bench import names
from bench.ids import base62, random_uuid
from bench.shapes import Shape

SEED = 20260101  # the default seed of the catalogue, the listens and every writer
SINGLE_SHARE = 0.15  # releases whose scrobbles carry no album (the track title stands in)
MAX_FEATURES = 3


@dataclass(slots=True)
class Artist:
    name: str
    mbid: str
    locale: str


@dataclass(slots=True)
class Release:
    title: str
    artist: int  # the primary artist; every track on the release credits it first
    single: bool  # written without an album: Koito names the release after the track
    mbid: str


@dataclass(slots=True)
class Track:
    release: int
    artists: list[int]  # primary first, then features
    title: str = ""
    duration: int = 0  # seconds
    mbid: str = ""
    msid: str = ""
    spotify_id: str = ""
    bullet: bool = False  # Maloja lists features as ["feature", "main • feature"]
    mapped: bool = False  # ListenBrainz found it in MusicBrainz (mbid_mapping present)
    listed: bool = False  # ListenBrainz additional_info carries artist_names


@dataclass(slots=True)
class Catalog:
    shape: Shape
    artists: list[Artist]
    releases: list[Release]
    tracks: list[Track]
    cum_weights: list[float]  # Zipf-like popularity of the tracks, cumulative

    def credit(self, track: Track) -> list[str]:
        """The track's artist names, primary first."""
        return [self.artists[a].name for a in track.artists]


def build_catalog(shape: Shape, seed: int = SEED) -> Catalog:
    rng = random.Random(f"{seed}:catalog")
    artists = _make_artists(rng, shape.artists)
    primaries = _primary_count(shape)
    artist_weights = _zipf(rng, primaries, 0.9)
    releases = _make_releases(rng, shape, artist_weights)
    tracks = _make_tracks(rng, shape, releases)
    _add_features(rng, tracks, primaries, shape.artists, artist_weights)
    _name_releases_and_tracks(rng, artists, releases, tracks)
    _fill_track_details(rng, tracks)
    catalog = Catalog(shape, artists, releases, tracks, [])
    catalog.cum_weights = _popularity(rng, catalog, artist_weights)
    return catalog


def _make_artists(rng: random.Random, count: int) -> list[Artist]:
    taken: set[str] = set()
    artists = []
    while len(artists) < count:
        locale = rng.choices(names.LOCALES, names.LOCALE_WEIGHTS)[0]
        name = names.artist_name(rng, locale)
        if not names.splits_artist(name) and names.claim(taken, name):
            artists.append(Artist(name, random_uuid(rng), locale))
    return artists


def _zipf(rng: random.Random, count: int, exponent: float) -> list[float]:
    """Weights 1/rank^s over a random ranking, so popularity is not tied to creation order."""
    ranks = list(range(1, count + 1))
    rng.shuffle(ranks)
    return [1.0 / rank**exponent for rank in ranks]


def _primary_count(shape: Shape) -> int:
    """Artists that own releases; the rest only ever appear as features."""
    primaries = max(1, min(shape.artists, round(shape.albums * 0.8), round(shape.artists * 0.55)))
    if shape.artists - primaries > MAX_FEATURES * shape.tracks:
        raise ValueError(f"{shape}: too many featured-only artists for its tracks")
    return primaries


def _make_releases(rng: random.Random, shape: Shape, artist_weights: list[float]) -> list[Release]:
    primaries = len(artist_weights)
    # Every primary artist owns at least one release; the others go to the popular ones.
    owners = list(range(primaries))
    owners += rng.choices(range(primaries), artist_weights, k=shape.albums - primaries)
    rng.shuffle(owners)
    singles = round(shape.albums * SINGLE_SHARE)
    if shape.tracks > shape.albums:  # extra tracks need at least one album to sit on
        singles = min(singles, shape.albums - 1)
    single_at = set(rng.sample(range(shape.albums), singles))
    return [Release("", owner, i in single_at, random_uuid(rng)) for i, owner in enumerate(owners)]


def _make_tracks(rng: random.Random, shape: Shape, releases: list[Release]) -> list[Track]:
    sizes = [1] * len(releases)
    albums = [i for i, r in enumerate(releases) if not r.single]
    if albums:
        spread = [rng.uniform(0.3, 3.0) for _ in albums]
        for i in rng.choices(albums, spread, k=shape.tracks - len(releases)):
            sizes[i] += 1
    return [
        Track(release=i, artists=[release.artist])
        for i, release in enumerate(releases)
        for _ in range(sizes[i])
    ]


def _add_features(
    rng: random.Random, tracks: list[Track], primaries: int, artists: int, weights: list[float]
) -> None:
    """Featured-only artists each appear once at least; popular artists also guest a bit."""
    mandatory = list(range(primaries, artists))
    rng.shuffle(mandatory)
    guests = rng.choices(
        range(primaries), weights, k=round(0.25 * len(mandatory) + 0.03 * len(tracks))
    )
    featured = min(len(tracks), max(1, math.ceil((len(mandatory) + len(guests)) / 1.4)))
    chosen = rng.sample(range(len(tracks)), featured)
    # Round robin puts each mandatory artist on a track it is not on yet (they are all distinct).
    for n, artist in enumerate(mandatory):
        tracks[chosen[n % featured]].artists.append(artist)
    for artist in guests:
        track = tracks[rng.choice(chosen)]
        if artist not in track.artists and len(track.artists) <= MAX_FEATURES:
            track.artists.append(artist)


def _feat(artists: list[Artist], features: list[int]) -> str:
    credit = [artists[a].name for a in features]
    if len(credit) == 1:
        return f" (feat. {credit[0]})"
    return f" (feat. {', '.join(credit[:-1])} & {credit[-1]})"


def _name_releases_and_tracks(
    rng: random.Random, artists: list[Artist], releases: list[Release], tracks: list[Track]
) -> None:
    release_titles: set[str] = set()  # global: Koito matches a release by title + any artist
    _name_albums(rng, artists, releases, release_titles)
    per_release: dict[int, set[str]] = {}
    for track in tracks:
        release = releases[track.release]
        taken = per_release.setdefault(track.release, set())
        suffix = _feat(artists, track.artists[1:]) if len(track.artists) > 1 else ""
        while True:
            title = names.title(rng, artists[release.artist].locale) + suffix
            if release.single and not names.claim(release_titles, title):
                continue
            if names.claim(taken, title):
                break
        track.title = title
        if release.single:
            release.title = title


def _name_albums(
    rng: random.Random, artists: list[Artist], releases: list[Release], taken: set[str]
) -> None:
    """Singles are named after their track later, from the same set of taken titles."""
    for release in releases:
        if not release.single:
            locale = artists[release.artist].locale
            while not names.claim(taken, title := names.title(rng, locale, album=True)):
                pass
            release.title = title


def _fill_track_details(rng: random.Random, tracks: list[Track]) -> None:
    for track in tracks:
        track.duration = rng.randint(95, 420)
        track.mbid = random_uuid(rng)
        track.msid = random_uuid(rng)
        track.spotify_id = base62(rng, 22)
        track.bullet = rng.random() < 0.7
        track.mapped = rng.random() < 0.6
        track.listed = rng.random() < 0.5


def _popularity(rng: random.Random, catalog: Catalog, artist_weights: list[float]) -> list[float]:
    """An artist's share of listens is its Zipf weight, whatever the size of its discography;
    within it, earlier releases and earlier tracks on a release are played more."""
    release_rank: dict[int, int] = {}
    seen_per_artist: dict[int, int] = {}
    for i, release in enumerate(catalog.releases):
        release_rank[i] = seen_per_artist.get(release.artist, 0)
        seen_per_artist[release.artist] = release_rank[i] + 1
    inner = []
    position: dict[int, int] = {}
    for track in catalog.tracks:
        pos = position[track.release] = position.get(track.release, -1) + 1
        rank = release_rank[track.release]
        inner.append(rng.uniform(0.5, 1.5) / (rank + 1) ** 0.8 / (pos + 1) ** 0.6)
    owners = [catalog.releases[track.release].artist for track in catalog.tracks]
    per_artist: dict[int, float] = {}
    for owner, weight in zip(owners, inner, strict=True):
        per_artist[owner] = per_artist.get(owner, 0.0) + weight
    return list(
        accumulate(
            artist_weights[owner] * weight / per_artist[owner]
            for owner, weight in zip(owners, inner, strict=True)
        )
    )
