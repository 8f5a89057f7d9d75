"""Which files an input names: folders walked for the files a source reads, in order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from koito_import.sources import koito, lastfm, listenbrainz, maloja, spotify
from koito_import.sources.base import InputError

# Which file names (relative paths inside a directory or zip) each source reads.
ACCEPTS: dict[str, Callable[[str], bool]] = {
    "maloja": maloja.accepts,
    "spotify": spotify.accepts,
    "lastfm": lastfm.accepts,
    "listenbrainz": listenbrainz.accepts,
    "koito": koito.accepts,
}


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
            raise not_a_file(path)
    return list(found)


def not_a_file(path: Path) -> InputError:
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
