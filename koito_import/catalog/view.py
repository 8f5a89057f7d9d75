"""What the resolver knows of the catalog while it resolves one batch.

It holds the rows fetched for the batch plus the entities the batch creates, indexed the way
Koito looks entities up, and records every change into the batch's `BatchWrite`. New entities
get negative references (see store.base), so later scrobbles of the same batch find them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from koito_import.core.model import Alias
from koito_import.store.base import (
    ArtistRow,
    BatchWrite,
    NewArtist,
    NewRelease,
    NewTrack,
    ReleaseRow,
    TrackRow,
)


class CatalogView:
    def __init__(self, changes: BatchWrite) -> None:
        self.changes = changes
        self._artist_by_alias: dict[str, ArtistRow] = {}
        self._artist_by_mbid: dict[str, ArtistRow] = {}
        self._release_by_title: dict[tuple[str, int], ReleaseRow] = {}
        self._release_by_mbid: dict[str, ReleaseRow] = {}
        self._tracks_by_title: dict[tuple[str, int], list[TrackRow]] = defaultdict(list)
        self._track_by_mbid: dict[str, TrackRow] = {}
        self._track_by_id: dict[int, TrackRow] = {}

    # -- loading fetched rows (lowest id first, so the oldest entity wins as in Koito) --

    def add_artists(self, rows: list[ArtistRow]) -> None:
        for row in sorted(rows, key=lambda r: r.id):
            self._index_artist(row)

    def add_releases(self, rows: list[ReleaseRow]) -> None:
        for row in sorted(rows, key=lambda r: r.id):
            self._index_release(row, row.artist_ids)

    def add_tracks(self, rows: list[TrackRow]) -> None:
        for row in sorted(rows, key=lambda r: r.id):
            self._index_track(row)

    # -- look-ups --

    def artist_named(self, name: str) -> ArtistRow | None:
        return self._artist_by_alias.get(name)

    def artist_with_mbid(self, mbid: str | None) -> ArtistRow | None:
        return self._artist_by_mbid.get(mbid) if mbid else None

    def release_titled(self, title: str, artist_id: int) -> ReleaseRow | None:
        return self._release_by_title.get((title, artist_id))

    def release_with_mbid(self, mbid: str | None) -> ReleaseRow | None:
        return self._release_by_mbid.get(mbid) if mbid else None

    def track_titled(self, title: str, release_id: int, artist_ids: list[int]) -> TrackRow | None:
        wanted = set(artist_ids)
        candidates = self._tracks_by_title.get((title, release_id), [])
        return next((t for t in candidates if wanted <= t.artist_ids), None)

    def track_with_mbid(self, mbid: str | None) -> TrackRow | None:
        return self._track_by_mbid.get(mbid) if mbid else None

    def track_by_id(self, ref: int) -> TrackRow | None:
        """A track this batch fetched or created."""
        return self._track_by_id.get(ref)

    # -- changes --

    def create_artist(self, new: NewArtist) -> ArtistRow:
        self.changes.artists.append(new)
        row = ArtistRow(-len(self.changes.artists), new.mbid, [a.alias for a in new.aliases])
        self._index_artist(row)
        return row

    def create_release(self, new: NewRelease, artist_ids: list[int]) -> ReleaseRow:
        self.changes.releases.append(new)
        row = ReleaseRow(-len(self.changes.releases), new.mbid, new.aliases[0].alias, set())
        self._index_mbid(self._release_by_mbid, row)
        self.link_release(row, artist_ids, primary_first=True)
        return row

    def create_track(self, new: NewTrack, artist_ids: list[int]) -> TrackRow:
        self.changes.tracks.append(new)
        row = TrackRow(
            -len(self.changes.tracks),
            new.mbid,
            new.aliases[0].alias,
            new.release,
            set(artist_ids),
            new.duration,
        )
        self._index_track(row)
        for position, artist_id in enumerate(artist_ids):
            self.changes.artist_tracks.append((artist_id, row.id, position == 0))
        return row

    def link_release(self, release: ReleaseRow, artist_ids: list[int], primary_first: bool) -> None:
        """Link artists to a release, the first as primary when the release is new."""
        for position, artist_id in enumerate(artist_ids):
            if artist_id in release.artist_ids:
                continue
            self.changes.artist_releases.append(
                (artist_id, release.id, primary_first and position == 0)
            )
            self._index_release(release, {artist_id})

    def give_artist_mbid(self, artist: ArtistRow, mbid: str | None) -> None:
        self._give_mbid(
            artist, mbid, self._artist_by_mbid, self.changes.artist_mbids, self.changes.artists
        )

    def give_release_mbid(self, release: ReleaseRow, mbid: str | None) -> None:
        self._give_mbid(
            release, mbid, self._release_by_mbid, self.changes.release_mbids, self.changes.releases
        )

    def give_track_mbid(self, track: TrackRow, mbid: str | None) -> None:
        self._give_mbid(
            track, mbid, self._track_by_mbid, self.changes.track_mbids, self.changes.tracks
        )

    @staticmethod
    def _give_mbid(row: Any, mbid: str | None, index: dict, updates: list, new: list) -> None:
        """Koito gives a found entity the scrobble's MBID when it has none (and no other
        entity holds it)."""
        if not mbid or row.mbid is not None or mbid in index:
            return
        row.mbid = mbid
        index[mbid] = row
        if row.id > 0:
            updates.append((row.id, mbid))
        else:
            new[-row.id - 1].mbid = mbid

    def give_track_duration(self, track: TrackRow, seconds: int) -> None:
        if track.duration == 0 and seconds > 0:
            track.duration = seconds
            if track.id > 0:
                self.changes.track_durations.append((track.id, seconds))
            else:
                self.changes.tracks[-track.id - 1].duration = seconds

    # -- indexing --

    def _index_artist(self, row: ArtistRow) -> None:
        for alias in row.aliases:
            self._artist_by_alias.setdefault(alias, row)
        self._index_mbid(self._artist_by_mbid, row)

    def _index_release(self, row: ReleaseRow, artist_ids: set[int]) -> None:
        row.artist_ids |= artist_ids
        for artist_id in artist_ids:
            # Koito's look-up (LIMIT 1, no ORDER BY) gives the oldest of an artist's releases
            # of one title, even when the artist was linked to a newer one first.
            held = self._release_by_title.get((row.title, artist_id))
            if held is None or _age(row) < _age(held):
                self._release_by_title[(row.title, artist_id)] = row
        self._index_mbid(self._release_by_mbid, row)

    def _index_track(self, row: TrackRow) -> None:
        self._track_by_id[row.id] = row
        self._tracks_by_title[(row.title, row.release_id)].append(row)
        self._index_mbid(self._track_by_mbid, row)

    @staticmethod
    def _index_mbid(index: dict, row: ArtistRow | ReleaseRow | TrackRow) -> None:
        if row.mbid:
            index.setdefault(row.mbid, row)


def _age(row: ReleaseRow) -> tuple[bool, int]:
    """Sorts the oldest first: rows in the database by id, then the batch's new ones in the
    order they were made (references -1, -2, ...)."""
    return (row.id < 0, abs(row.id))


def canonical(name: str) -> list[Alias]:
    return [Alias(name, "Canonical", True)]
