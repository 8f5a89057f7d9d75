"""Which export a file is, by its name and first bytes (inside zips too), and what to say
when it is none, or not the one a command was asked to read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import orjson

from koito_import.sources import lastfm, spotify
from koito_import.sources.archives import is_zip, member_input, zip_members
from koito_import.sources.base import InputError
from koito_import.sources.files import ACCEPTS, expand_inputs, not_a_file
from koito_import.sources.inputs import file_input, head_bytes

NAMES = {
    "maloja": "Maloja",
    "spotify": "Spotify",
    "lastfm": "Last.fm",
    "listenbrainz": "ListenBrainz",
    "koito": "Koito",
}
UNSURE = f"cannot tell which export this is; name the source: koito-import {'|'.join(NAMES)} FILE"
HEAD = 1 << 16  # bytes read for detection


class NotAnExport(InputError):
    """A file that no source reads at all (a README.md, a picture, a playlist CSV): left out
    of a folder, an `auto` or an inbox, and named, rather than failed."""


@dataclass(slots=True)
class Sorted:
    """The inputs of `auto`: grouped by source in the order given, the files left out (no
    export at all), and those that failed detection (a damaged or unknown export)."""

    groups: list[tuple[str, list[Path]]] = field(default_factory=list)
    left_out: list[InputError] = field(default_factory=list)
    failed: list[InputError] = field(default_factory=list)


def detect(path: Path) -> str:
    """The source an input comes from; NotAnExport for a file no source reads, InputError
    for one that cannot be told (or read)."""
    if path.is_dir():
        return _detect_directory(path)
    if not path.is_file():
        raise not_a_file(path)
    if is_zip(path):
        return _detect_zip(path)
    if not any(accept(path.name) for accept in ACCEPTS.values()):
        raise NotAnExport(str(path), "not an export koito-import reads")
    head = head_bytes(file_input(path), HEAD)
    found = _by_name(path.name, head, str(path)) or _by_content(head)
    if found is None:
        raise InputError(str(path), _unsure(head, path))
    return found


def sort_inputs(paths: list[Path]) -> Sorted:
    """Every input detected: a folder is split into its files, each detected on its own, so
    a folder of several exports (or with a README.md beside one) imports what it holds."""
    found = Sorted()
    groups: dict[str, list[Path]] = {}
    for path in paths:
        inside = path.is_dir()
        if inside:  # every file, so that what is left out can be named
            files = [f for f in sorted(path.rglob("*")) if _visible(path, f)]
        elif path.is_file():
            files = [path]
        else:
            found.failed.append(not_a_file(path))
            continue
        for file in files:
            try:
                groups.setdefault(detect(file), []).append(file)
            except NotAnExport as exc:
                found.left_out.append(exc)
            except InputError as exc:
                # In a folder, a JSON no source knows is another file of the export
                # (Spotify's Userdata.json...); named on the command line, a failure.
                (found.left_out if inside else found.failed).append(exc)
    found.groups = list(groups.items())
    return found


def _visible(root: Path, path: Path) -> bool:
    relative = path.relative_to(root).parts
    return path.is_file() and not any(part.startswith(".") for part in relative)


def group_by_source(paths: list[Path]) -> list[tuple[str, list[Path]]]:
    """The inputs grouped by source; the first input that cannot be told raises."""
    found = sort_inputs(paths)
    if found.failed:
        raise found.failed[0]
    if not found.groups:
        raise (found.left_out or [InputError(", ".join(map(str, paths)), UNSURE)])[0]
    return found.groups


def hint_for(path: Path, source: str) -> str | None:
    """What to run instead, when `path` was given to `source` and looks like another
    export (the wrong subcommand is the commonest mistake)."""
    try:
        found = detect(path)
    except InputError:  # no export, or none that can be told: the reader's error says it
        return None
    if found == source:
        return None
    return (
        f"it looks like a {NAMES[found]} export: koito-import {found} {path} (or koito-import auto)"
    )


def _unsure(head: bytes, path: Path) -> str:
    """A JSON file that ends before it is whole is malformed, not an unknown export."""
    if len(head) < HEAD and head.strip()[:1] in (b"{", b"["):
        try:
            orjson.loads(head)
        except orjson.JSONDecodeError as exc:
            return f"malformed JSON ({exc})"
    return UNSURE


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
        head = head_bytes(member_input(path, info), HEAD)
        try:
            found = _by_name(info.filename, head, f"{path}:{info.filename}") or _by_content(head)
        except NotAnExport:
            continue
        if found:
            return found
    raise InputError(str(path), UNSURE)


def _by_name(name: str, head: bytes, where: str) -> str | None:
    lower = name.lower()
    if spotify.accepts(name):
        return "spotify"
    if lower.endswith(".jsonl"):
        return "listenbrainz"
    if lower.endswith(".csv"):  # Last.fm's is the only CSV export, but not every CSV is one
        first_row = lastfm.looks_like_csv(head)
        if first_row is None:
            return "lastfm"
        raise NotAnExport(where, lastfm.not_lastfm_csv(first_row))
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
