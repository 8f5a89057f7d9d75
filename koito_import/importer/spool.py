"""Checked batches, kept from the check pass for the import stage, so an input is parsed once.

The whole input is read and checked before anything is written (a file broken halfway must
change nothing); what the check produces is kept here: in memory while it is small, then in
an unlinked temporary file, so memory does not grow with the input. A batch goes to the file
as plain tuples (pickle is fast on those, slow on dataclasses).
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from koito_import.catalog.batch import KeyedBatch
from koito_import.core.model import Scrobble

KEEP_IN_MEMORY = 100_000  # listens; about 50 MB of checked batches
# A larger input goes to the file from its first batch: holding its first 100,000 listens
# before spilling them would set the process's peak memory for the rest of the run.
KEEP_INPUT_BYTES = 32 << 20


class Spool:
    def __init__(self, keep_in_memory: int | None = None) -> None:
        self.keep_in_memory = KEEP_IN_MEMORY if keep_in_memory is None else keep_in_memory
        self.listens = 0
        self.batches = 0
        self._held: list[KeyedBatch | bytes] = []
        self._file: IO[bytes] | None = None

    @classmethod
    def for_input(cls, input_bytes: int) -> Spool:
        return cls(keep_in_memory=None if input_bytes <= KEEP_INPUT_BYTES else 0)

    def append(self, batch: KeyedBatch | bytes, listens: int | None = None) -> None:
        """Keep a batch: a KeyedBatch, or one pickled by `pickled` (say how many listens)."""
        self.listens += len(batch.listens) if isinstance(batch, KeyedBatch) else listens or 0
        self.batches += 1
        if self._file is None and self.listens <= self.keep_in_memory:
            self._held.append(batch)
            return
        if self._file is None:
            # Unlinked at once, so even a kill -9 leaves nothing behind; closed by close().
            self._file = tempfile.TemporaryFile(prefix="koito-import-")  # noqa: SIM115
            for held in self._held:
                self._dump(held)
            self._held = []
        self._dump(batch)

    def __iter__(self) -> Iterator[KeyedBatch]:
        """The batches in order; each may be read once."""
        if self._file is None:
            while self._held:
                held = self._held.pop(0)
                yield held if isinstance(held, KeyedBatch) else _batch(pickle.loads(held))
            return
        self._file.seek(0)
        for _ in range(self.batches):
            yield _batch(pickle.load(self._file))

    def close(self) -> None:
        self._held = []
        if self._file is not None:
            self._file.close()
            self._file = None

    def _dump(self, batch: KeyedBatch | bytes) -> None:
        assert self._file is not None
        self._file.write(batch if isinstance(batch, bytes) else pickled(batch))


def pickled(batch: KeyedBatch) -> bytes:
    """A batch as the spool keeps it on file (the reader process sends it so, too)."""
    return pickle.dumps(_plain(batch), protocol=pickle.HIGHEST_PROTOCOL)


def unpickled(blob: bytes) -> KeyedBatch:
    return _batch(pickle.loads(blob))


def _plain(b: KeyedBatch) -> tuple[Any, ...]:
    return (b.keys, [_scrobble_fields(s) for s in b.first], b.durations, b.listens)


def _batch(plain: tuple[Any, ...]) -> KeyedBatch:
    keys, first, durations, listens = plain
    return KeyedBatch(keys, [Scrobble(*fields) for fields in first], durations, listens)


def _scrobble_fields(s: Scrobble) -> tuple[Any, ...]:
    """Scrobble's fields in the order of its constructor."""
    return (
        s.artist,
        s.track,
        s.listened_at,
        s.artist_names,
        s.artist_mbids,
        s.artist_mbid_map,
        s.release,
        s.recording_mbid,
        s.release_mbid,
        s.duration,
        s.client,
        s.koito,
    )
