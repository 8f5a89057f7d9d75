"""Seeded listening histories in the reference shapes of SPEC §7, written as Maloja, Spotify
and ListenBrainz exports.

The catalogue is designed first, with exact numbers of distinct artists, releases and tracks,
and every entity is listened to at least once, so importing a shape must create exactly
`shape.expected()` whatever the format.  To keep that true under Koito's matching rules
(SPEC §3): artist names never contain anything Koito splits on, release titles (including the
track titles that stand in for a missing album) are unique across the whole catalogue, track
titles are unique within their release, and all of these ignoring case.  A featured artist is
always named in the title as `(feat. …)` too, so sources without an artist list (Spotify, which
Koito parses) resolve to the same artists as Maloja's lists.

Writers stream item by item: memory holds the catalogue, never the listens.

    python -m bench.generate SHAPE FORMAT OUT [--scale F] [--listens N] [--seed S]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import random
import sys
import time
import uuid
import zipfile
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

import orjson

from bench import names

SEED = 20260101
START = 1_136_073_600  # 2006-01-01T00:00:00Z
END = 1_767_225_600  # 2026-01-01T00:00:00Z
FORMATS = ("maloja", "spotify", "listenbrainz")
SINGLE_SHARE = 0.15  # releases whose scrobbles carry no album (the track title stands in)
MAX_FEATURES = 3


@dataclass(frozen=True, slots=True)
class Shape:
    name: str
    listens: int
    artists: int  # featured artists included: Koito creates them like any other
    albums: int  # releases, including the singles whose scrobbles carry no album
    tracks: int

    def expected(self) -> dict[str, int]:
        """What a cold import of this shape reports (keys of koito-import's --json summary)."""
        return {
            "inserted": self.listens,
            "artists_created": self.artists,
            "releases_created": self.albums,
            "tracks_created": self.tracks,
        }


SHAPES = {
    "seed-49k": Shape("seed-49k", 49_050, 5_589, 2_628, 12_000),
    "library-346k": Shape("library-346k", 346_631, 17_242, 39_149, 79_167),
    # The library's catalogue listened to a million times: for the memory bar of issue 5.
    "listens-1m": Shape("listens-1m", 1_000_000, 17_242, 39_149, 79_167),
}
EXPECTED = {name: shape.expected() for name, shape in SHAPES.items()}


def scale(shape: Shape, factor: float) -> Shape:
    """The same proportions at another size (tests use about 500 listens)."""
    listens = max(1, round(shape.listens * factor))
    tracks = min(listens, max(1, round(shape.tracks * factor)))
    return Shape(
        name=f"{shape.name}x{factor:g}",
        listens=listens,
        artists=max(1, round(shape.artists * factor)),
        albums=min(tracks, max(1, round(shape.albums * factor))),
        tracks=tracks,
    )


def with_listens(shape: Shape, listens: int) -> Shape:
    """The same catalogue listened to more (or fewer) times."""
    if listens < shape.tracks:
        raise ValueError(f"{listens} listens cannot cover {shape.tracks} tracks")
    return dataclasses.replace(shape, name=f"{shape.name}-{listens}", listens=listens)


# ---------------------------------------------------------------- the catalogue


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


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _base62(rng: random.Random, length: int) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "".join(rng.choice(alphabet) for _ in range(length))


def _make_artists(rng: random.Random, count: int) -> list[Artist]:
    taken: set[str] = set()
    artists = []
    while len(artists) < count:
        locale = rng.choices(names.LOCALES, names.LOCALE_WEIGHTS)[0]
        name = names.artist_name(rng, locale)
        if not names.splits_artist(name) and names.claim(taken, name):
            artists.append(Artist(name, _uuid(rng), locale))
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
    return [Release("", owner, i in single_at, _uuid(rng)) for i, owner in enumerate(owners)]


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


def _feat(catalog_artists: list[Artist], features: list[int]) -> str:
    credit = [catalog_artists[a].name for a in features]
    if len(credit) == 1:
        return f" (feat. {credit[0]})"
    return f" (feat. {', '.join(credit[:-1])} & {credit[-1]})"


def _name_releases_and_tracks(
    rng: random.Random, artists: list[Artist], releases: list[Release], tracks: list[Track]
) -> None:
    release_titles: set[str] = set()  # global: Koito matches a release by title + any artist
    for release in releases:
        if not release.single:
            locale = artists[release.artist].locale
            while not names.claim(release_titles, title := names.title(rng, locale, album=True)):
                pass
            release.title = title
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


def _fill_track_details(rng: random.Random, tracks: list[Track]) -> None:
    for track in tracks:
        track.duration = rng.randint(95, 420)
        track.mbid = _uuid(rng)
        track.msid = _uuid(rng)
        track.spotify_id = _base62(rng, 22)
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


# ---------------------------------------------------------------- the listens


def listen_times(rng: random.Random, count: int) -> Iterator[int]:
    """Strictly increasing unix times from 2006 to about 2026: sessions of back-to-back songs
    separated by breaks.  The break length follows the time left per listen left, so the
    history ends near 2026 even for a few hundred listens."""
    in_session, break_share = 240, 0.15
    now = START
    for i in range(count):
        yield now
        mean_gap = max(1.0, (END - now) / (count - i))
        if mean_gap <= in_session:
            now += 1 + int(rng.expovariate(1 / mean_gap))
        elif rng.random() < break_share:
            break_mean = (mean_gap - (1 - break_share) * in_session) / break_share
            # Halving what is left keeps a long break from carrying the history past 2026.
            now += max(1, min(1 + int(rng.expovariate(1 / break_mean)), (END - now) // 2))
        else:
            now += rng.randint(120, 360)


def listens(catalog: Catalog, seed: int = SEED) -> Iterator[tuple[int, Track]]:
    """(unix time, track) in time order.  Mostly Zipf picks; each track's first listen is
    spread evenly over the history so every track is listened to at least once."""
    rng = random.Random(f"{seed}:listens")
    tracks, cum = catalog.tracks, catalog.cum_weights
    first_listens = list(range(len(tracks)))
    rng.shuffle(first_listens)
    pending, total, count = len(tracks), cum[-1], catalog.shape.listens
    for i, when in enumerate(listen_times(rng, count)):
        if pending and rng.random() * (count - i) < pending:
            index = first_listens[len(tracks) - pending]
            pending -= 1
        else:
            index = min(bisect_right(cum, rng.random() * total), len(tracks) - 1)
        yield when, tracks[index]


# ---------------------------------------------------------------- writers


@dataclass(slots=True)
class WriteStats:
    rows: int = 0  # items written, listens and noise
    listens: int = 0  # items an import must count as listens
    noise: int = 0  # items an import must skip (Spotify skips and podcasts)
    files: list[Path] = dataclasses.field(default_factory=list)


def _credit(catalog: Catalog, track: Track) -> list[str]:
    return [catalog.artists[a].name for a in track.artists]


def maloja_item(catalog: Catalog, track: Track, when: int, rng: random.Random) -> dict[str, Any]:
    credit = _credit(catalog, track)
    bullet_form = len(credit) > 1 and track.bullet
    artists = [*credit[1:], " • ".join(credit)] if bullet_form else credit
    release = catalog.releases[track.release]
    album = None if release.single else {"albumtitle": release.title, "artists": credit[:1]}
    return {
        "time": when,
        "track": {"artists": artists, "title": track.title, "album": album, "length": None},
        "duration": None,
        "origin": rng.choice(("client:navidrome", "client:multiscrobbler", "client:webui")),
    }


def write_maloja(catalog: Catalog, out: Path, seed: int = SEED) -> WriteStats:
    rng = random.Random(f"{seed}:maloja")
    stats = WriteStats(files=[out])
    with _atomic(out) as tmp, tmp.open("wb", buffering=1 << 20) as f:
        f.write(b'{"maloja":{"export_time":%d},"scrobbles":[\n' % END)
        for when, track in listens(catalog, seed):
            if stats.rows:
                f.write(b",\n")
            f.write(orjson.dumps(maloja_item(catalog, track, when, rng)))
            stats.rows += 1
            stats.listens += 1
        f.write(b"\n]}\n")
    return stats


SPOTIFY_NULLS = (
    "episode_name",
    "episode_show_name",
    "spotify_episode_uri",
    "audiobook_title",
    "audiobook_uri",
    "audiobook_chapter_uri",
    "audiobook_chapter_title",
)


def _spotify_row(rng: random.Random, when: int, ms_played: int) -> dict[str, Any]:
    offline = rng.random() < 0.05
    return {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)),
        "platform": rng.choice(("android", "ios", "windows", "osx", "web_player")),
        "ms_played": ms_played,
        "conn_country": rng.choice(("DE", "FR", "JP", "BR", "US", "SE", "KR")),
        "ip_addr": ".".join(str(rng.randint(1, 223)) for _ in range(4)),
        "master_metadata_track_name": None,
        "master_metadata_album_artist_name": None,
        "master_metadata_album_album_name": None,
        "spotify_track_uri": None,
        **dict.fromkeys(SPOTIFY_NULLS),
        "reason_start": rng.choice(("trackdone", "clickrow", "playbtn", "fwdbtn")),
        "reason_end": "trackdone",
        "shuffle": rng.random() < 0.4,
        "skipped": False,
        "offline": offline,
        "offline_timestamp": when * 1000 if offline else 0,
        "incognito_mode": False,
    }


def spotify_item(catalog: Catalog, track: Track, when: int, rng: random.Random) -> dict[str, Any]:
    row = _spotify_row(rng, when, track.duration * 1000)
    release = catalog.releases[track.release]
    row["master_metadata_track_name"] = track.title
    row["master_metadata_album_artist_name"] = catalog.artists[track.artists[0]].name
    # Spotify always names an album; a single is named after its track, as Koito would.
    row["master_metadata_album_album_name"] = release.title
    row["spotify_track_uri"] = f"spotify:track:{track.spotify_id}"
    return row


def spotify_noise(catalog: Catalog, track: Track, when: int, rng: random.Random) -> dict[str, Any]:
    """A skipped play (not "trackdone", under 30 s) or a podcast episode: both are skipped."""
    if rng.random() < 0.12:
        row = _spotify_row(rng, when, rng.randint(60_000, 3_600_000))
        row["episode_name"] = f"Episode {rng.randint(1, 400)}"
        row["episode_show_name"] = "The Bench Podcast"
        row["spotify_episode_uri"] = f"spotify:episode:{_base62(rng, 22)}"
        return row
    row = spotify_item(catalog, track, when, rng)
    row.update(
        ms_played=rng.randint(300, 29_000),
        reason_end=rng.choice(("fwdbtn", "endplay", "logout")),
        skipped=True,
    )
    return row


class _SpotifyFiles:
    """Arrays of about `chunk` items, named by the years they hold as Spotify does."""

    def __init__(self, out_dir: Path, chunk: int) -> None:
        self.out_dir, self.chunk = out_dir, chunk
        self.files: list[Path] = []
        self._f: Any = None
        self._count = 0
        self._years: tuple[int, int] = (0, 0)

    def write(self, row: dict[str, Any], year: int) -> None:
        if self._f is None:
            self._f = (self.out_dir / ".partial.json").open("wb", buffering=1 << 20)
            self._f.write(b"[\n")
            self._count, self._years = 0, (year, year)
        elif self._count:
            self._f.write(b",\n")
        self._f.write(orjson.dumps(row))
        self._count += 1
        self._years = (self._years[0], year)
        if self._count >= self.chunk:
            self.close()

    def close(self) -> None:
        if self._f is None:
            return
        self._f.write(b"\n]\n")
        self._f.close()
        self._f = None
        first, last = self._years
        span = f"{first}" if first == last else f"{first}-{last}"
        path = self.out_dir / f"Streaming_History_Audio_{span}_{len(self.files)}.json"
        os.replace(self.out_dir / ".partial.json", path)
        self.files.append(path)


def write_spotify(
    catalog: Catalog, out_dir: Path, seed: int = SEED, chunk: int = 16_000
) -> WriteStats:
    rng = random.Random(f"{seed}:spotify")
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("Streaming_History_Audio_*.json"):
        old.unlink()
    files = _SpotifyFiles(out_dir, chunk)
    stats = WriteStats()
    previous = START - 10
    for when, track in listens(catalog, seed):
        if when - previous > 1 and rng.random() < 0.08:
            # Noise sits strictly between two listens, so listen times stay as generated.
            noise_at = rng.randint(previous + 1, when - 1)
            files.write(spotify_noise(catalog, track, noise_at, rng), time.gmtime(noise_at).tm_year)
            stats.noise += 1
        files.write(spotify_item(catalog, track, when, rng), time.gmtime(when).tm_year)
        stats.listens += 1
        previous = when
    files.close()
    stats.rows = stats.listens + stats.noise
    stats.files = files.files
    return stats


LB_CLIENTS = (
    ("Pano Scrobbler", "3.9.1", "Android"),
    ("Web Scrobbler", "3.4.0", None),
    ("navidrome", "0.53.3", "Navidrome"),
    ("multi-scrobbler", "0.8.4", None),
)


def listenbrainz_item(
    catalog: Catalog, track: Track, when: int, rng: random.Random, user: str
) -> dict[str, Any]:
    credit = _credit(catalog, track)
    release = catalog.releases[track.release]
    client, version, player = rng.choice(LB_CLIENTS)
    info: dict[str, Any] = {
        "submission_client": client,
        "submission_client_version": version,
        "duration_ms": track.duration * 1000,
        "recording_msid": track.msid,
    }
    if player:
        info["media_player"] = player
    if track.listed:
        info["artist_names"] = credit
    if rng.random() < 0.3:
        info["music_service"] = "spotify.com"
        info["spotify_id"] = f"https://open.spotify.com/track/{track.spotify_id}"
    # A credit string with "feat." is only safe where the artists come from a list: Koito's
    # parser would put the features first.
    listed = track.listed or track.mapped
    metadata: dict[str, Any] = {
        "artist_name": " feat. ".join([credit[0], ", ".join(credit[1:])])
        if listed and len(credit) > 1
        else credit[0],
        "track_name": track.title,
    }
    if not release.single:
        metadata["release_name"] = release.title
    metadata["additional_info"] = info
    metadata["mbid_mapping"] = _mbid_mapping(catalog, track) if track.mapped else None
    return {
        "listened_at": when,
        "recording_msid": track.msid,
        "track_metadata": metadata,
        "inserted_at": when + rng.randint(0, 120),
        "user_name": user,
    }


def _mbid_mapping(catalog: Catalog, track: Track) -> dict[str, Any]:
    release = catalog.releases[track.release]
    artists = [catalog.artists[a] for a in track.artists]
    joins = [" feat. " if i == 0 else ", " for i in range(len(artists) - 1)] + [""]
    return {
        "artist_mbids": [a.mbid for a in artists],
        "artists": [
            {"artist_credit_name": a.name, "artist_mbid": a.mbid, "join_phrase": join}
            for a, join in zip(artists, joins, strict=True)
        ],
        "caa_id": int(release.mbid[:8], 16),
        "caa_release_mbid": release.mbid,
        "recording_mbid": track.mbid,
        "recording_name": track.title,
        "release_mbid": release.mbid,
    }


FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # zip entries carry a date: fixed, for identical bytes


def _zip_entry(zf: zipfile.ZipFile, name: str) -> Any:
    info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    return zf.open(info, "w")


def write_listenbrainz(
    catalog: Catalog, out: Path, seed: int = SEED, user: str = "bench"
) -> WriteStats:
    rng = random.Random(f"{seed}:listenbrainz")
    stats = WriteStats(files=[out])
    with _atomic(out) as tmp, zipfile.ZipFile(tmp, "w") as zf:
        with _zip_entry(zf, "user.json") as entry:
            entry.write(orjson.dumps({"user_id": 1, "username": user}))
        month, entry = None, None
        for when, track in listens(catalog, seed):
            moment = time.gmtime(when)
            if (moment.tm_year, moment.tm_mon) != month:
                if entry is not None:
                    entry.close()
                month = (moment.tm_year, moment.tm_mon)
                entry = _zip_entry(zf, f"listens/{month[0]}/{month[1]}.jsonl")
            entry.write(orjson.dumps(listenbrainz_item(catalog, track, when, rng, user)) + b"\n")
            stats.rows += 1
            stats.listens += 1
        if entry is not None:
            entry.close()
    return stats


class _atomic:
    """Write to a temporary name and rename on success, so a cached file is never partial."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(path.name + ".partial")

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self.tmp

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def generate(shape: Shape, fmt: str, out: Path, seed: int = SEED) -> WriteStats:
    """Write `shape` in `fmt` to `out` (a file; a directory for spotify)."""
    catalog = build_catalog(shape, seed)
    if fmt == "maloja":
        return write_maloja(catalog, out, seed)
    if fmt == "spotify":
        return write_spotify(catalog, out, seed)
    if fmt == "listenbrainz":
        return write_listenbrainz(catalog, out, seed)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def resolve_shape(name: str, factor: float | None = None, listens: int | None = None) -> Shape:
    if name not in SHAPES:
        raise SystemExit(f"unknown shape {name!r}; expected one of {', '.join(SHAPES)}")
    shape = SHAPES[name]
    if factor is not None:
        shape = scale(shape, factor)
    if listens is not None:
        shape = with_listens(shape, listens)
    return shape


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("shape", choices=list(SHAPES))
    parser.add_argument("format", choices=FORMATS)
    parser.add_argument("out", type=Path, help="a file (a directory for spotify)")
    parser.add_argument("--scale", type=float, help="multiply every count by this factor")
    parser.add_argument("--listens", type=int, help="listen count, keeping the catalogue")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    shape = resolve_shape(args.shape, args.scale, args.listens)
    started = time.perf_counter()
    stats = generate(shape, args.format, args.out, args.seed)
    elapsed = time.perf_counter() - started
    summary = {
        "shape": dataclasses.asdict(shape),
        "expected": shape.expected(),
        "rows": stats.rows,
        "listens": stats.listens,
        "noise": stats.noise,
        "files": [str(f) for f in stats.files],
        "elapsed_s": round(elapsed, 2),
    }
    sys.stdout.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
