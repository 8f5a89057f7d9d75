"""A Maloja export: one JSON document with every scrobble."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson

from bench.catalog import SEED, Catalog, Track
from bench.history import END, listens
from bench.writers.output import WriteStats, atomic

ORIGINS = ("client:navidrome", "client:multiscrobbler", "client:webui")


def write_maloja(catalog: Catalog, out: Path, seed: int = SEED) -> WriteStats:
    rng = random.Random(f"{seed}:maloja")
    stats = WriteStats(files=[out])
    with atomic(out) as tmp, tmp.open("wb", buffering=1 << 20) as f:
        f.write(b'{"maloja":{"export_time":%d},"scrobbles":[\n' % END)
        for when, track in listens(catalog, seed):
            if stats.rows:
                f.write(b",\n")
            f.write(orjson.dumps(maloja_item(catalog, track, when, rng)))
            stats.rows += 1
            stats.listens += 1
        f.write(b"\n]}\n")
    return stats


def maloja_item(catalog: Catalog, track: Track, when: int, rng: random.Random) -> dict[str, Any]:
    credit = catalog.credit(track)
    bullet_form = len(credit) > 1 and track.bullet
    artists = [*credit[1:], " • ".join(credit)] if bullet_form else credit
    release = catalog.releases[track.release]
    album = None if release.single else {"albumtitle": release.title, "artists": credit[:1]}
    return {
        "time": when,
        "track": {"artists": artists, "title": track.title, "album": album, "length": None},
        "duration": None,
        "origin": rng.choice(ORIGINS),
    }
