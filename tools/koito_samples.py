"""Seeded samples in the two formats bench.generate does not write, for the Koito comparison:
Last.fm recent-tracks JSON (the ghan.nl exporter's pages) and Koito's own export (version 1).

    python tools/koito_samples.py lastfm OUT.json [--scale 0.1]
    python tools/koito_samples.py koito OUT.json [--scale 0.1]

Same catalogue and history as bench.generate (shape seed-49k scaled). Last.fm pages list the
newest listen first, 200 a page; about one listen in five lacks its MBIDs, as Last.fm often
does. The Koito export credits every artist with aliases, MBIDs and image URLs, some albums
and tracks with a second alias, and one album in twenty is `various_artists`.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog import SEED, Catalog, Track, build_catalog
from bench.generate import resolve_shape
from bench.history import listens

PAGE = 200


def lastfm_pages(catalog: Catalog, seed: int = SEED) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}:lastfm")
    items = [_lastfm_track(catalog, t, when, rng) for when, t in listens(catalog, seed)]
    items.reverse()
    return [{"track": items[i : i + PAGE]} for i in range(0, len(items), PAGE)]


def _lastfm_track(catalog: Catalog, track: Track, when: int, rng: random.Random) -> dict:
    release = catalog.releases[track.release]
    artist = catalog.artists[track.artists[0]]
    known = rng.random() >= 0.2
    return {
        "artist": {"mbid": artist.mbid if known else "", "#text": artist.name},
        "streamable": "0",
        "mbid": track.mbid if known else "",
        "album": {
            "mbid": release.mbid if known and not release.single else "",
            "#text": "" if release.single else release.title,
        },
        "name": track.title,
        "date": {"uts": str(when), "#text": time.strftime("%d %b %Y, %H:%M", time.gmtime(when))},
    }


def koito_export(catalog: Catalog, seed: int = SEED) -> dict[str, Any]:
    rng = random.Random(f"{seed}:koito")
    extra = {i: rng.random() < 0.3 for i in range(len(catalog.releases))}
    various = {i: rng.random() < 0.05 for i in range(len(catalog.releases))}
    items = []
    for when, track in listens(catalog, seed):
        release = catalog.releases[track.release]
        items.append(
            {
                "listened_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)),
                "client": rng.choice(["Navidrome", "multi-scrobbler", "spotify"]),
                "track": {
                    "mbid": track.mbid if track.mapped else None,
                    "duration": track.duration,
                    "aliases": _aliases(track.title, extra[track.release]),
                },
                "album": {
                    "image_url": f"https://img.example/album/{release.mbid}.jpg",
                    "mbid": release.mbid if not release.single else None,
                    "aliases": _aliases(release.title, extra[track.release]),
                    "various_artists": various[track.release],
                },
                "artists": [
                    {
                        "image_url": f"https://img.example/artist/{catalog.artists[a].mbid}.jpg",
                        "mbid": catalog.artists[a].mbid if track.mapped else None,
                        "is_primary": n == 0,
                        "aliases": _aliases(catalog.artists[a].name, a % 4 == 0),
                    }
                    for n, a in enumerate(track.artists)
                ],
            }
        )
    return {
        "version": "1",
        "exported_at": "2026-01-01T00:00:00Z",
        "user": "bench",
        "listens": items,
    }


def _aliases(name: str, extra: bool) -> list[dict[str, Any]]:
    aliases = [{"alias": name, "source": "Canonical", "is_primary": True}]
    if extra:
        aliases.append({"alias": f"{name} [alt]", "source": "User", "is_primary": False})
    return aliases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("format", choices=["lastfm", "koito"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--shape", default="seed-49k")
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    catalog = build_catalog(resolve_shape(args.shape, args.scale), args.seed)
    data = lastfm_pages(catalog, args.seed) if args.format == "lastfm" else koito_export(catalog)
    args.out.write_bytes(orjson.dumps(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
