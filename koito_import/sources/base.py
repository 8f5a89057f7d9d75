"""What every source reader shares: byte counting for progress, input errors, options."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from koito_import.model import Scrobble, Skip


class InputError(Exception):
    """Input that cannot be read; the message names the file (and the item or line)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


@dataclass(slots=True)
class ByteCounter:
    """Bytes of input read so far, for the progress display."""

    total: int = 0
    done: int = 0


@dataclass(frozen=True, slots=True)
class SourceOptions:
    min_played_s: int | None = None  # spotify: also count plays at least this long


class CountingReader(io.RawIOBase):
    """A binary file wrapper that adds every byte read to a ByteCounter."""

    def __init__(self, raw: BinaryIO, counter: ByteCounter) -> None:
        self._raw = raw
        self._counter = counter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._counter.done += n
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


Item = Scrobble | Skip
Reader = Callable[[Path, ByteCounter, SourceOptions], Iterator[Item]]


def open_counted(path: Path, counter: ByteCounter) -> io.BufferedReader:
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(str(path), f"cannot read the file ({exc.strerror or exc})") from exc
    return io.BufferedReader(CountingReader(raw, counter), buffer_size=1 << 16)
