"""A Koito database summed up by content for the regression tests: each artist's name and
MBID, and each listened track with its release, their artist links (primary marked `*`),
MBIDs, duration and listens. Ids never appear, so Koito's rows and ours compare directly."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from conftest import FIXTURES
from support import import_files

from koito_import.compare.snapshot import Snapshot, load
from koito_import.core.dburl import Database

ArtistLine = tuple[str, str | None]
TrackLine = tuple[str, str, str, str, str | None, str | None, int, int]


def summary(snap: Snapshot) -> tuple[list[ArtistLine], list[TrackLine]]:
    listens = Counter(x.track for x in snap.listens)

    def credit(links: dict[int, bool]) -> str:
        names = sorted((not primary, snap.artists[i].name) for i, primary in links.items())
        return ", ".join(name + ("*" if not secondary else "") for secondary, name in names)

    tracks = []
    for id_, t in snap.tracks.items():
        r = snap.releases[t.release]
        line = (t.title, r.title, credit(t.artists), credit(r.artists), t.mbid, r.mbid)
        tracks.append((*line, t.duration, listens[id_]))
    artists = sorted((a.name, a.mbid) for a in snap.artists.values())
    return artists, sorted(tracks, key=repr)


@dataclass(frozen=True)
class Expected:
    """A fixture's rows, summed up: `what` tells what the input shows."""

    fixture: str  # source/file under tests/fixtures
    what: str
    artists: list[ArtistLine]
    tracks: list[TrackLine]

    @property
    def name(self) -> str:
        return self.fixture.split("/")[1]


def imported(db: Database, fixture: str) -> tuple[list[ArtistLine], list[TrackLine]]:
    """The summary of `db` after importing `fixture` (source/file) into it."""
    import_files(db, fixture.split("/")[0], FIXTURES / fixture)
    return summary(load(db))
