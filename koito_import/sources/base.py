"""What every source reader shares: byte counting for progress, input errors, options."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from koito_import.core.model import Scrobble, Skip


class InputError(Exception):
    """Input that cannot be read; the message names the file (and the item or line)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:
        # The reader process sends its errors pickled (koito_import.importer.worker).
        return (type(self), (self.where, self.problem))


@dataclass(slots=True)
class ByteCounter:
    """Bytes of input read so far, for the progress display."""

    total: int = 0
    done: int = 0


@dataclass(frozen=True, slots=True)
class SourceOptions:
    min_played_s: int | None = None  # spotify: also count plays at least this long


Item = Scrobble | Skip
Reader = Callable[[Path, ByteCounter, SourceOptions], Iterator[Item]]
