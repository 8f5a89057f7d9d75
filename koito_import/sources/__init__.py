"""The source readers, and what the pipeline needs around them: the progress total, and
reading many files and zip archives as one stream (expanding folders: files; detecting the
source: detection).

A zip is read member by member, each member as the inner format its name says, counting
uncompressed bytes; `input_size` counts a zip as the sum of its members' sizes, and members a
source ignores are counted as done when they are passed over, so progress ends at 100 %.
The readers may import core only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from koito_import.sources import koito, lastfm, listenbrainz, maloja, spotify
from koito_import.sources.archives import is_zip, member_input, zip_members
from koito_import.sources.base import ByteCounter, InputError, Item, Reader, SourceOptions
from koito_import.sources.detection import (
    UNSURE,
    NotAnExport,
    Sorted,
    detect,
    group_by_source,
    hint_for,
    sort_inputs,
)
from koito_import.sources.files import ACCEPTS, expand_inputs
from koito_import.sources.inputs import Input, file_input
from koito_import.sources.names import skip_too_long

__all__ = [
    "ACCEPTS",
    "SOURCES",
    "UNSURE",
    "NotAnExport",
    "Sorted",
    "detect",
    "expand_inputs",
    "group_by_source",
    "hint_for",
    "input_size",
    "read_inputs",
    "sort_inputs",
]

StreamReader = Callable[[Input, ByteCounter, SourceOptions], Iterator[Item]]

# Every reader takes any Input: a file or a zip member.
_STREAM_READERS: dict[str, StreamReader] = {
    "maloja": maloja.read_input,
    "spotify": spotify.read_input,
    "lastfm": lastfm.read_input,
    "listenbrainz": listenbrainz.read_input,
    "koito": koito.read_input,
}


def _path_reader(read_input: StreamReader) -> Reader:
    return lambda path, counter, options: read_input(file_input(path), counter, options)


SOURCES: dict[str, Reader] = {
    source: _path_reader(read_input) for source, read_input in _STREAM_READERS.items()
}


def input_size(paths: list[Path], source: str | None = None) -> int:
    """The progress total in bytes: file sizes, and a zip's uncompressed member sizes."""
    return sum(_size(path) for path in expand_inputs(paths, source))


def _size(path: Path) -> int:
    if is_zip(path):
        try:
            return sum(info.file_size for info in zip_members(path))
        except InputError:
            pass  # read_inputs reports the damage; count the file as it lies on disk
    return path.stat().st_size


def read_inputs(
    source: str, paths: list[Path], counter: ByteCounter, options: SourceOptions
) -> Iterator[Item]:
    """Every listen (or skip) of every input, file after file."""
    if source not in SOURCES:
        raise InputError(source, f"unknown source; choose one of {', '.join(SOURCES)}")
    for path in expand_inputs(paths, source):
        if is_zip(path):
            items = _read_zip(source, path, counter, options)
        else:
            items = SOURCES[source](path, counter, options)
        try:
            yield from skip_too_long(items, str(path))
        except InputError as exc:
            hint = hint_for(path, source)
            if hint is None or type(exc) is not InputError:
                raise
            raise InputError(exc.where, f"{exc.problem}; {hint}") from exc


def _read_zip(
    source: str, path: Path, counter: ByteCounter, options: SourceOptions
) -> Iterator[Item]:
    members = zip_members(path)
    chosen = [m for m in members if ACCEPTS[source](m.filename)]
    if not chosen:
        names = ", ".join(m.filename for m in members[:5])
        raise InputError(str(path), f"no {source} files in this zip (it holds {names}…)")
    for info in members:
        if info not in chosen:
            counter.done += info.file_size
            continue
        # Damage inside the member is reported by the member's own stream (archives.py).
        yield from _STREAM_READERS[source](member_input(path, info), counter, options)
