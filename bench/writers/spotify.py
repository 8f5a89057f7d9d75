"""A Spotify extended streaming history: JSON arrays of plays, with skips and podcasts mixed in."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import orjson

from bench.catalog import SEED, Catalog, Track
from bench.history import START, listens
from bench.ids import base62
from bench.writers.output import WriteStats

NULLS = (
    "episode_name",
    "episode_show_name",
    "spotify_episode_uri",
    "audiobook_title",
    "audiobook_uri",
    "audiobook_chapter_uri",
    "audiobook_chapter_title",
)
NOISE_SHARE = 0.08  # of the gaps between listens, those that hold a skip or a podcast
PODCAST_SHARE = 0.12  # of the noise


def write_spotify(
    catalog: Catalog, out_dir: Path, seed: int = SEED, chunk: int = 16_000
) -> WriteStats:
    rng = random.Random(f"{seed}:spotify")
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("Streaming_History_Audio_*.json"):
        old.unlink()
    files = _HistoryFiles(out_dir, chunk)
    stats = WriteStats()
    previous = START - 10
    for when, track in listens(catalog, seed):
        if when - previous > 1 and rng.random() < NOISE_SHARE:
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


def spotify_item(catalog: Catalog, track: Track, when: int, rng: random.Random) -> dict[str, Any]:
    row = _row(rng, when, track.duration * 1000)
    release = catalog.releases[track.release]
    row["master_metadata_track_name"] = track.title
    row["master_metadata_album_artist_name"] = catalog.artists[track.artists[0]].name
    # Spotify always names an album; a single is named after its track, as Koito would.
    row["master_metadata_album_album_name"] = release.title
    row["spotify_track_uri"] = f"spotify:track:{track.spotify_id}"
    return row


def spotify_noise(catalog: Catalog, track: Track, when: int, rng: random.Random) -> dict[str, Any]:
    """A skipped play (not "trackdone", under 30 s) or a podcast episode: both are skipped."""
    if rng.random() < PODCAST_SHARE:
        row = _row(rng, when, rng.randint(60_000, 3_600_000))
        row["episode_name"] = f"Episode {rng.randint(1, 400)}"
        row["episode_show_name"] = "The Bench Podcast"
        row["spotify_episode_uri"] = f"spotify:episode:{base62(rng, 22)}"
        return row
    row = spotify_item(catalog, track, when, rng)
    row.update(
        ms_played=rng.randint(300, 29_000),
        reason_end=rng.choice(("fwdbtn", "endplay", "logout")),
        skipped=True,
    )
    return row


def _row(rng: random.Random, when: int, ms_played: int) -> dict[str, Any]:
    """A play of nothing yet: the caller names the track or the episode."""
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
        **dict.fromkeys(NULLS),
        "reason_start": rng.choice(("trackdone", "clickrow", "playbtn", "fwdbtn")),
        "reason_end": "trackdone",
        "shuffle": rng.random() < 0.4,
        "skipped": False,
        "offline": offline,
        "offline_timestamp": when * 1000 if offline else 0,
        "incognito_mode": False,
    }


class _HistoryFiles:
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
