"""The listening history: which track is played when, from 2006 to about 2026."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterator

from bench.catalog import SEED, Catalog, Track

START = 1_136_073_600  # 2006-01-01T00:00:00Z
END = 1_767_225_600  # 2026-01-01T00:00:00Z


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
