"""One batch of scrobbles, planned as the rows that record it (SPEC §5).

Scrobbles are grouped by lookup key as they are read (`KeyedBatch`), so planning works per
key, never per scrobble: keys already in `track_lookup` go straight to their track, the others
are resolved once each (catalog.resolver). Koito applies its gap-filling rules on every listen,
so two things also look past the first scrobble of a key: a duration later scrobbles bring is
stored on a track that has none, and a cached key whose scrobbles carry an MBID its track,
release or artists still lack is resolved again, which gives them the MBID.

The warm path (an export imported again) costs little more than reading it: while the input
is checked, each batch's keys are looked up, and a batch whose listens are all present already
is dropped there (`settled`), without being kept for the import stage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from koito_import.catalog.credit import Credits
from koito_import.catalog.resolver import Resolver
from koito_import.catalog.view import CatalogView
from koito_import.model import Scrobble
from koito_import.store.base import BatchWrite, MbidCoverage, Store

# Keys remembered per run (about 150 bytes each); beyond, keys are looked up every batch.
MAX_KNOWN_KEYS = 500_000


@dataclass(slots=True)
class MbidsCarried:
    """What the scrobbles of one key bring in MBIDs, all of them together."""

    recording: bool = False
    release: bool = False
    artists: set[str] = field(default_factory=set)  # of name->MBID pairs


@dataclass(slots=True)
class KeyedBatch:
    """A batch of listens grouped by lookup key, in order of first appearance."""

    keys: list[str] = field(default_factory=list)
    richest: list[Scrobble] = field(default_factory=list)  # per key: the one telling most
    durations: list[int] = field(default_factory=list)  # per key: the first non-zero one
    carried: list[MbidsCarried | None] = field(default_factory=list)  # per key
    listens: list[tuple[int, int, str | None]] = field(default_factory=list)  # key index, ...

    def halves(self) -> tuple[KeyedBatch, KeyedBatch]:
        """The first and second half of the listens, each with the keys it uses."""
        middle = len(self.listens) // 2
        return self._part(self.listens[:middle]), self._part(self.listens[middle:])

    def _part(self, listens: list[tuple[int, int, str | None]]) -> KeyedBatch:
        part = KeyedBatch()
        index_of: dict[int, int] = {}
        for i, ts, client in listens:
            if i not in index_of:
                index_of[i] = len(part.keys)
                part.keys.append(self.keys[i])
                part.richest.append(self.richest[i])
                part.durations.append(self.durations[i])
                part.carried.append(self.carried[i])
            part.listens.append((index_of[i], ts, client))
        return part


class BatchBuilder:
    """Cuts scrobbles into KeyedBatches of `size` listens, grouping them as they come."""

    def __init__(self, size: int, separators: Sequence[re.Pattern[str]]) -> None:
        self.size = size
        self._credits = Credits(separators)
        self._batch = KeyedBatch()
        self._index: dict[str, int] = {}
        self._mbid_counts: list[int] = []

    def add(self, s: Scrobble) -> KeyedBatch | None:
        """Add one scrobble; return the batch it completes, if it does."""
        b = self._batch
        key = self._credits.key(s)
        carries = s.recording_mbid or s.release_mbid or s.artist_mbid_map
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(b.keys)
            b.keys.append(key)
            b.richest.append(s)
            b.durations.append(s.duration)
            b.carried.append(None)
            self._mbid_counts.append(_mbid_count(s) if carries else 0)
        else:
            if not b.durations[index]:
                b.durations[index] = s.duration
            if carries and (count := _mbid_count(s)) > self._mbid_counts[index]:
                b.richest[index] = s  # the first of the richest wins
                self._mbid_counts[index] = count
        if carries:
            carried = b.carried[index] or MbidsCarried()
            carried.recording |= bool(s.recording_mbid)
            carried.release |= bool(s.release_mbid)
            carried.artists.update(mbid for _, mbid in s.artist_mbid_map)
            b.carried[index] = carried
        b.listens.append((index, s.listened_at, s.client))
        return self.flush() if len(b.listens) >= self.size else None

    def flush(self) -> KeyedBatch | None:
        """The batch so far (None when empty), and start a new one."""
        done = self._batch
        self._batch, self._index, self._mbid_counts = KeyedBatch(), {}, []
        return done if done.listens else None


class BatchPlanner:
    """Plans batches one after the other, remembering the cached keys it has met: an export
    names each song many times, and one look-up per key and run is enough. (Should Koito
    delete a remembered track meanwhile, the listen's foreign key fails the batch, which
    rolls back, and the same command then completes the import.)"""

    def __init__(self, store: Store, resolver: Resolver) -> None:
        self.store = store
        self.resolver = resolver
        self._known: dict[str, int] = {}  # lookup key -> track id, read from track_lookup

    def settled(self, batch: KeyedBatch) -> bool:
        """Whether the batch is in the database already, so that planning it would write
        nothing: every key cached, no MBID or duration to add, every listen present. Only
        reads, so a re-import can skip such batches while it checks the input."""
        track_of = self._cached(batch.keys)
        if len(track_of) < len(batch.keys) or self._adding_mbids(batch, track_of):
            return False
        refs = [track_of[key] for key in batch.keys]
        timed = {ref for ref, seconds in zip(refs, batch.durations, strict=True) if seconds}
        if timed and self.store.tracks_without_duration(timed):
            return False
        listens = {(refs[i], ts) for i, ts, _ in batch.listens}
        return len(self.store.present_listens(listens)) == len(listens)

    def plan(self, batch: KeyedBatch, user_id: int) -> BatchWrite:
        """The batch's rows; listens found present already are left out."""
        # The mark first, so an entity a running Koito creates while this batch is planned is
        # seen when the batch is written (store.concurrent).
        changes = BatchWrite(user_id, mark=self.store.catalog_mark())
        keys = batch.keys
        track_of = self._cached(keys)
        for key in self._adding_mbids(batch, track_of):
            del track_of[key]
            self._known.pop(key, None)  # its lookup row is rewritten: read it again next time
        view = CatalogView(changes)
        if len(track_of) < len(keys):
            misses = {k: s for k, s in zip(keys, batch.richest, strict=True) if k not in track_of}
            track_of.update(self.resolver.resolve(view, misses))
        refs = [track_of[key] for key in keys]
        self._give_durations(view, batch, refs)
        # Plain tuples in Listen's order: a batch holds thousands, and the stores unpack them.
        changes.listens = [(refs[i], ts, client) for i, ts, client in batch.listens]
        return changes

    def _cached(self, keys: list[str]) -> dict[str, int]:
        """track_lookup's hits among `keys` (key -> track id)."""
        known = self._known
        track_of = {key: known[key] for key in keys if key in known}
        if len(track_of) < len(keys):
            found = self.store.lookup([key for key in keys if key not in track_of])
            track_of.update(found)
            if len(known) < MAX_KNOWN_KEYS:
                known.update(found)
        return track_of

    def _give_durations(self, view: CatalogView, batch: KeyedBatch, refs: list[int]) -> None:
        """Durations for tracks that have none; a cached track's is read to know that."""
        timed = {ref for ref, seconds in zip(refs, batch.durations, strict=True) if seconds}
        cached = {ref for ref in timed if ref > 0 and view.track_by_id(ref) is None}
        lacking = self.store.tracks_without_duration(cached) if cached else set()
        for ref, seconds in zip(refs, batch.durations, strict=True):
            if not seconds:
                continue
            track = view.track_by_id(ref)
            if track is not None:
                view.give_track_duration(track, seconds)
            elif ref in lacking:
                view.changes.track_durations.append((ref, seconds))
                lacking.discard(ref)

    def _adding_mbids(self, batch: KeyedBatch, track_of: dict[str, int]) -> list[str]:
        """Cached keys whose scrobbles bring an MBID the cached entities do not have yet."""
        carrying = {
            key: carried
            for key, carried in zip(batch.keys, batch.carried, strict=True)
            if carried is not None and key in track_of
        }
        if not carrying:
            return []
        coverage = self.store.mbid_coverage({track_of[key] for key in carrying})
        return [
            key
            for key, carried in carrying.items()
            if _adds_mbid(coverage.get(track_of[key]), carried)
        ]


def _mbid_count(s: Scrobble) -> int:
    return bool(s.recording_mbid) + bool(s.release_mbid) + len(s.artist_mbid_map)


def _adds_mbid(have: MbidCoverage | None, carried: MbidsCarried) -> bool:
    if have is None:
        return False
    if carried.recording and have.track is None:
        return True
    if carried.release and have.release is None:
        return True
    # Only name->MBID pairs are stored on artists found by name (SPEC §3 step 1).
    return have.artists_without_mbid > 0 and not carried.artists <= have.artists
