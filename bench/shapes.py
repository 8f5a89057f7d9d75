"""The reference shapes of SPEC §7 and what a cold import of each must create."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


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
