"""What a reader opens: a file or a zip member, as often as it needs, as a binary stream
that adds every byte read to a ByteCounter for the progress display."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from koito_import.sources.base import ByteCounter, InputError


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


@dataclass(frozen=True, slots=True)
class Input:
    """Something a reader can open, perhaps more than once: a file or a zip member."""

    name: str  # how messages name it: "path" or "archive.zip:member"
    open: Callable[[ByteCounter], BinaryIO]


def file_input(path: Path) -> Input:
    return Input(str(path), lambda counter: open_counted(path, counter))


def open_counted(path: Path, counter: ByteCounter) -> io.BufferedReader:
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(str(path), f"cannot read the file ({exc.strerror or exc})") from exc
    return io.BufferedReader(CountingReader(raw, counter), buffer_size=1 << 16)


def head_bytes(inp: Input, size: int = 1 << 16) -> bytes:
    """The first bytes of an input, for detection."""
    with inp.open(ByteCounter()) as stream:
        return stream.read(size)
