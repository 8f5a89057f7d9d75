"""One batch of scrobbles, planned as the rows that record it (SPEC §5).

Scrobbles are grouped by lookup key; keys already in `track_lookup` go straight to their track,
the others are resolved once each (catalog.resolver). Koito applies its gap-filling rules on
every listen, so two things also look past the first scrobble of a key: a duration later
scrobbles bring is stored on a track that has none, and a cached key whose scrobbles carry an
MBID its track, release or artists still lack is resolved again, which gives them the MBID.
"""

from __future__ import annotations

from koito_import.catalog.resolver import Resolver
from koito_import.catalog.view import CatalogView
from koito_import.model import Scrobble
from koito_import.store.base import BatchWrite, Listen, MbidCoverage, Store


class BatchPlanner:
    def __init__(self, store: Store, resolver: Resolver) -> None:
        self.store = store
        self.resolver = resolver

    def plan(self, scrobbles: list[Scrobble], user_id: int) -> BatchWrite:
        # First, so an entity a running Koito creates while this batch is planned is seen
        # when the batch is written (store.concurrent).
        changes = BatchWrite(user_id, mark=self.store.catalog_mark())
        keys = [s.lookup_key for s in scrobbles]
        groups: dict[str, list[Scrobble]] = {}
        for key, s in zip(keys, scrobbles, strict=True):
            groups.setdefault(key, []).append(s)

        track_of = self.store.lookup(list(groups))
        for key in self._adding_mbids(groups, track_of):
            del track_of[key]
        misses = {key: _richest(group) for key, group in groups.items() if key not in track_of}
        view = CatalogView(changes)
        if misses:
            track_of.update(self.resolver.resolve(view, misses))
        for key, group in groups.items():
            seconds = next((s.duration for s in group if s.duration > 0), 0)
            if seconds:
                view.give_duration_to(track_of[key], seconds)

        changes.listens = [
            Listen(track_of[key], s.listened_at, s.client)
            for key, s in zip(keys, scrobbles, strict=True)
        ]
        return changes

    def _adding_mbids(
        self, groups: dict[str, list[Scrobble]], track_of: dict[str, int]
    ) -> list[str]:
        """Cached keys whose scrobbles bring an MBID the cached entities do not have yet."""
        carrying = {
            key: group
            for key, group in groups.items()
            if key in track_of and any(_mbid_count(s) for s in group)
        }
        if not carrying:
            return []
        coverage = self.store.mbid_coverage({track_of[key] for key in carrying})
        return [
            key
            for key, group in carrying.items()
            if any(_adds_mbid(coverage.get(track_of[key]), s) for s in group)
        ]


def _mbid_count(s: Scrobble) -> int:
    return bool(s.recording_mbid) + bool(s.release_mbid) + len(s.artist_mbid_map)


def _richest(group: list[Scrobble]) -> Scrobble:
    """The scrobble of a key that tells the most (the first of those)."""
    return max(group, key=_mbid_count)


def _adds_mbid(have: MbidCoverage | None, s: Scrobble) -> bool:
    if have is None:
        return False
    if s.recording_mbid and have.track is None:
        return True
    if s.release_mbid and have.release is None:
        return True
    # Only name->MBID pairs are stored on artists found by name (SPEC §3 step 1).
    return have.artists_without_mbid > 0 and any(
        mbid not in have.artists for _, mbid in s.artist_mbid_map
    )
