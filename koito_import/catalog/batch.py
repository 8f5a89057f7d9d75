"""One batch of scrobbles, planned as the rows that record it (SPEC §5).

Scrobbles are grouped by lookup key as they are read (`KeyedBatch`), so planning works per
key, never per scrobble: keys already in `track_lookup` go straight to their track, the others
are resolved once each (catalog.resolver), from their first scrobble. A key holds everything
Koito resolves a scrobble from (catalog.lookup_keys), so every scrobble of a key resolves
alike, with one exception: Koito stores a duration later scrobbles bring on a track that has
none, and so does the planner.

The warm path (an export imported again) costs little more than reading it: while the input
is checked, each batch's keys are looked up, and a batch whose listens are all present already
is dropped there (`settled`), without being kept for the import stage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from koito_import.catalog.lookup_keys import LookupKeys
from koito_import.catalog.minutes import same_plays
from koito_import.catalog.resolver import Resolver
from koito_import.catalog.view import CatalogView
from koito_import.core.model import MINUTE_CLIENT, Scrobble
from koito_import.store.base import BatchWrite, Store

# Keys remembered per run (about 150 bytes each); beyond, keys are looked up every batch.
MAX_KNOWN_KEYS = 500_000


@dataclass(slots=True)
class KeyedBatch:
    """A batch of listens grouped by lookup key, in order of first appearance."""

    keys: list[str] = field(default_factory=list)
    first: list[Scrobble] = field(default_factory=list)  # per key: its first scrobble
    durations: list[int] = field(default_factory=list)  # per key: the first non-zero one
    listens: list[tuple[int, int, str | None]] = field(default_factory=list)  # key index, ...

    def without(self, positions: set[int]) -> KeyedBatch:
        """The batch without the listens at `positions`, and without the keys only they used."""
        return self._part([x for j, x in enumerate(self.listens) if j not in positions])

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
                part.first.append(self.first[i])
                part.durations.append(self.durations[i])
            part.listens.append((index_of[i], ts, client))
        return part


class BatchBuilder:
    """Cuts scrobbles into KeyedBatches of `size` listens, grouping them as they come."""

    def __init__(self, size: int, separators: Sequence[re.Pattern[str]]) -> None:
        self.size = size
        self._keys = LookupKeys(separators)
        self._batch = KeyedBatch()
        self._index: dict[str, int] = {}

    def add(self, s: Scrobble) -> KeyedBatch | None:
        """Add one scrobble; return the batch it completes, if it does."""
        b = self._batch
        key = self._keys.key(s)
        index = self._index.get(key)
        # The durations later scrobbles give a track that has none; Koito's export importer
        # gives none (a Koito export's track is created with its duration, or found as is).
        duration = s.duration if s.koito is None else 0
        if index is None:
            index = self._index[key] = len(b.keys)
            b.keys.append(key)
            b.first.append(s)
            b.durations.append(duration)
        elif not b.durations[index]:
            b.durations[index] = duration
        # A listen known to the minute only is stored with a client of its own (catalog.minutes).
        client = MINUTE_CLIENT if s.minute_precision else s.client
        b.listens.append((index, s.listened_at, client))
        return self.flush() if len(b.listens) >= self.size else None

    def flush(self) -> KeyedBatch | None:
        """The batch so far (None when empty), and start a new one."""
        done = self._batch
        self._batch, self._index = KeyedBatch(), {}
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
        self._minutes_stored: bool | None = None  # may the user have minute listens stored?

    def settled(self, batch: KeyedBatch) -> bool:
        """Whether the batch is in the database already, so that planning it would write
        nothing: every key cached, no duration to add, every listen present. Only
        reads, so a re-import can skip such batches while it checks the input."""
        track_of = self._cached(batch.keys)
        if len(track_of) < len(batch.keys):
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
        batch, replaced = self._same_plays(batch, user_id, changes)
        keys = batch.keys
        track_of = self._cached(keys)
        view = CatalogView(changes)
        if len(track_of) < len(keys):
            misses = {k: s for k, s in zip(keys, batch.first, strict=True) if k not in track_of}
            track_of.update(self.resolver.resolve(view, misses))
        refs = [track_of[key] for key in keys]
        self._give_durations(view, batch, refs)
        # Plain tuples in Listen's order: a batch holds thousands, and the stores unpack them.
        changes.listens = [(refs[i], ts, client) for i, ts, client in batch.listens]
        # A stored minute listen this batch would insert again as it is is not replaced.
        changes.replaced = sorted(replaced - {(t, ts) for t, ts, _ in changes.listens})
        return changes

    def _same_plays(
        self, batch: KeyedBatch, user_id: int, changes: BatchWrite
    ) -> tuple[KeyedBatch, set[tuple[int, int]]]:
        """The batch without its minute listens that are duplicates (counted in `changes`),
        and the stored minute listens it replaces (catalog.minutes)."""
        if self._minutes_stored is None:
            self._minutes_stored = self.store.has_minute_listens(user_id)
        duplicates, replaced = same_plays(
            self.store, user_id, batch.first, batch.listens, self._minutes_stored
        )
        changes.minute_duplicates = len(duplicates)
        if duplicates:
            batch = batch.without(duplicates)
        if any(client == MINUTE_CLIENT for _, _, client in batch.listens):
            self._minutes_stored = True  # this batch stores some
        return batch, replaced

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
