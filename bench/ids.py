"""Identifiers drawn from a seeded generator, so the same seed gives the same bytes."""

from __future__ import annotations

import random
import uuid

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def random_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def base62(rng: random.Random, length: int) -> str:
    """As in Spotify's track and episode ids."""
    return "".join(rng.choice(BASE62) for _ in range(length))
