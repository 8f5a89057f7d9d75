"""A ListenBrainz export: a zip of user.json and one JSON-lines file of listens per month."""

from __future__ import annotations

import random
import time
import zipfile
from pathlib import Path
from typing import IO, Any

import orjson

from bench.catalog import SEED, Catalog, Track
from bench.history import listens
from bench.writers.output import WriteStats, atomic

CLIENTS = (
    ("Pano Scrobbler", "3.9.1", "Android"),
    ("Web Scrobbler", "3.4.0", None),
    ("navidrome", "0.53.3", "Navidrome"),
    ("multi-scrobbler", "0.8.4", None),
)
FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # zip entries carry a date: fixed, for identical bytes


def write_listenbrainz(
    catalog: Catalog, out: Path, seed: int = SEED, user: str = "bench"
) -> WriteStats:
    rng = random.Random(f"{seed}:listenbrainz")
    stats = WriteStats(files=[out])
    with atomic(out) as tmp, zipfile.ZipFile(tmp, "w") as zf:
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


def listenbrainz_item(
    catalog: Catalog, track: Track, when: int, rng: random.Random, user: str
) -> dict[str, Any]:
    credit = catalog.credit(track)
    release = catalog.releases[track.release]
    info = _additional_info(track, credit, rng)
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


def _additional_info(track: Track, credit: list[str], rng: random.Random) -> dict[str, Any]:
    client, version, player = rng.choice(CLIENTS)
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
    return info


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


def _zip_entry(zf: zipfile.ZipFile, name: str) -> IO[bytes]:
    info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    return zf.open(info, "w")
