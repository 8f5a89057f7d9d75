"""Zip archives as inputs: which members they hold, and each member as an Input."""

from __future__ import annotations

import io
import lzma
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from koito_import.sources.base import ByteCounter, InputError
from koito_import.sources.inputs import CountingReader, Input

# What a damaged archive raises while a member is read: a bad CRC or header, truncated or
# corrupt deflate, bzip2 (an OSError) or lzma data. Caught only around the archive's own reads,
# so that a reader's bug stays a bug (exit 1 with its traceback under --debug).
DAMAGED_DATA = (zipfile.BadZipFile, zlib.error, EOFError, lzma.LZMAError, OSError)
# Opening a member also meets encryption (RuntimeError) and compression methods Python lacks.
UNOPENABLE = (*DAMAGED_DATA, RuntimeError, NotImplementedError)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


def is_zip(path: Path) -> bool:
    if path.suffix.lower() == ".zip":
        return True
    try:
        with path.open("rb") as stream:
            return stream.read(4) in _ZIP_MAGIC
    except OSError:
        return False


def zip_members(path: Path) -> list[zipfile.ZipInfo]:
    """The archive's files, without directories and the junk macOS adds when zipping."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(str(path), f"not a readable zip archive ({exc})") from exc
    members = [i for i in infos if not i.is_dir() and not _is_junk(i.filename)]
    if not members:
        raise InputError(str(path), "the zip archive holds no files")
    return members


def _is_junk(name: str) -> bool:
    parts = name.split("/")
    return parts[0] == "__MACOSX" or parts[-1].startswith(".")


def member_input(path: Path, info: zipfile.ZipInfo) -> Input:
    """A zip member as an Input; the counter sees uncompressed bytes."""
    name = f"{path}:{info.filename}"

    def open_member(counter: ByteCounter) -> BinaryIO:
        try:
            with zipfile.ZipFile(path) as archive:
                # The member keeps the archive's file open after the ZipFile is closed.
                raw = archive.open(info)
        except UNOPENABLE as exc:
            raise InputError(name, f"cannot open the zip member ({exc})") from exc
        member = _MemberReader(raw, name)
        return io.BufferedReader(CountingReader(member, counter), buffer_size=1 << 16)

    return Input(name, open_member)


class _MemberReader(io.RawIOBase):
    """A zip member's bytes; damage found while reading them is an InputError naming it."""

    def __init__(self, raw: BinaryIO, name: str) -> None:
        self._raw = raw
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            data = self._raw.read(len(buffer))
        except DAMAGED_DATA as exc:
            raise InputError(self._name, f"damaged zip member ({exc})") from exc
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()
