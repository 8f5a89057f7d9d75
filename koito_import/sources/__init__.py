"""The source readers, and what the pipeline needs around them: expanding directories, the
progress total, reading many files and zip archives as one stream, and detecting the source.

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
from koito_import.sources.inputs import Input, file_input, head_bytes
from koito_import.sources.names import skip_too_long

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
# Which file names (relative paths inside a directory or zip) each source reads.
ACCEPTS: dict[str, Callable[[str], bool]] = {
    "maloja": maloja.accepts,
    "spotify": spotify.accepts,
    "lastfm": lastfm.accepts,
    "listenbrainz": listenbrainz.accepts,
    "koito": koito.accepts,
}
UNSURE = f"cannot tell which export this is; name the source: koito-import {'|'.join(SOURCES)} FILE"


def expand_inputs(paths: list[Path], source: str | None = None) -> list[Path]:
    """Files to read, in order: directories are walked (sorted) for the files `source`
    reads (any known kind when None) and zips; files named explicitly are always kept."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            inside = [p for p in sorted(path.rglob("*")) if _wanted(path, p, source)]
            if not inside:
                raise InputError(str(path), f"no {source or 'export'} files in this directory")
            found.update(dict.fromkeys(inside))
        elif path.is_file():
            found[path] = None
        else:
            raise _not_a_file(path)
    return list(found)


def _not_a_file(path: Path) -> InputError:
    """What is wrong with a path that is neither a file nor a directory."""
    if path.exists():  # a FIFO, a socket, a device: each input is read more than once
        return InputError(str(path), "cannot read the file (not a regular file)")
    return InputError(str(path), "no such file or directory")


def _wanted(root: Path, path: Path, source: str | None) -> bool:
    relative = path.relative_to(root).as_posix()
    if not path.is_file() or any(part.startswith(".") for part in relative.split("/")):
        return False
    if path.suffix.lower() == ".zip":
        return True
    accepts = [ACCEPTS[source]] if source else list(ACCEPTS.values())
    return any(accept(relative) for accept in accepts)


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
        yield from skip_too_long(items, str(path))


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


# --- detection -----------------------------------------------------------------------------


def detect(path: Path) -> str:
    """The source an input comes from, by its name and first bytes (inside zips too)."""
    if path.is_dir():
        return _detect_directory(path)
    if not path.is_file():
        raise _not_a_file(path)
    if is_zip(path):
        return _detect_zip(path)
    found = _by_name(path.name) or _by_content(head_bytes(file_input(path)))
    if found is None:
        raise InputError(str(path), UNSURE)
    return found


def group_by_source(paths: list[Path]) -> list[tuple[str, list[Path]]]:
    """The inputs of `auto`, grouped by the source each comes from, in the order given. A
    folder of one kind of export stays whole; a folder of several kinds is split into its
    files (those no source recognizes are left out, as when detecting a folder)."""
    groups: dict[str, list[Path]] = {}
    for path in paths:
        try:
            groups.setdefault(detect(path), []).append(path)
            continue
        except InputError:
            if not path.is_dir():
                raise
        found = False
        for file in expand_inputs([path]):
            try:
                groups.setdefault(detect(file), []).append(file)
                found = True
            except InputError:
                continue
        if not found:
            raise InputError(str(path), UNSURE)
    return list(groups.items())


def _detect_directory(path: Path) -> str:
    found = set()
    for file in expand_inputs([path]):
        try:
            found.add(detect(file))
        except InputError:
            continue  # account data holds other JSON files too (Userdata.json, …)
    if len(found) != 1:
        raise InputError(str(path), UNSURE)
    return found.pop()


def _detect_zip(path: Path) -> str:
    members = zip_members(path)
    names = [m.filename for m in members]
    if any(spotify.accepts(n) for n in names):
        return "spotify"
    if any(n.endswith(".jsonl") and "listens" in n.lower().split("/")[:-1] for n in names):
        return "listenbrainz"
    for info in members:
        found = _by_name(info.filename) or _by_content(head_bytes(member_input(path, info)))
        if found:
            return found
    raise InputError(str(path), UNSURE)


def _by_name(name: str) -> str | None:
    lower = name.lower()
    if spotify.accepts(name):
        return "spotify"
    if lower.endswith(".jsonl"):
        return "listenbrainz"
    if lower.endswith(".csv"):
        return "lastfm"  # the only source with a CSV export
    return None


# Keys that only one source's JSON has; the first bytes of a file are enough to see them.
_MARKERS: dict[str, tuple[tuple[bytes, ...], ...]] = {
    "koito": ((b'"listens"', b'"exported_at"'), (b'"listens"', b'"aliases"')),
    "maloja": ((b'"maloja"',), (b'"scrobbles"',), (b'"list"', b'"artists"', b'"title"')),
    "spotify": ((b'"master_metadata_track_name"',), (b'"ms_played"',), (b'"msPlayed"',)),
    "lastfm": ((b'"recenttracks"',), (b'"#text"', b'"uts"')),
    "listenbrainz": ((b'"track_metadata"',),),
}


def _by_content(head: bytes) -> str | None:
    found = [
        source
        for source, alternatives in _MARKERS.items()
        if any(all(key in head for key in keys) for keys in alternatives)
    ]
    return found[0] if len(found) == 1 else None
