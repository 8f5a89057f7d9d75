"""What every writer shares: its tally and an output that is never left half written."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(slots=True)
class WriteStats:
    rows: int = 0  # items written, listens and noise
    listens: int = 0  # items an import must count as listens
    noise: int = 0  # items an import must skip (Spotify skips and podcasts)
    files: list[Path] = dataclasses.field(default_factory=list)


@contextlib.contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """Write to a temporary name and rename on success, so a cached file is never partial."""
    tmp = path.with_name(path.name + ".partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
