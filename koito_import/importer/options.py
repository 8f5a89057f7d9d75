"""What an import is asked to do, and what it tells whoever shows its progress."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from koito_import.core.dburl import Database
from koito_import.core.model import Scrobble, Skip
from koito_import.core.summary import Summary
from koito_import.sources.base import ByteCounter, SourceOptions

IMPORTING = "importing"  # the stage whose progress counts listens rather than input bytes


class Reporter(Protocol):
    def stage(self, name: str) -> None: ...
    def note(self, text: str) -> None: ...
    def progress(self, summary: Summary, counter: ByteCounter) -> None:
        """While reading, `counter` counts input bytes; while importing, listens."""
        ...


class StrictSkip(Exception):
    """--strict: an item was skipped."""


@dataclass(slots=True)
class ImportOptions:
    source: str
    paths: list[Path]
    db: Database
    user: str | None = None
    after: int | None = None
    before: int | None = None
    workers: int = 2
    batch_size: int = 5000
    separators: list[re.Pattern[str]] = field(default_factory=list)
    source_options: SourceOptions = field(default_factory=SourceOptions)
    dry_run: bool = False
    strict: bool = False
    wait_s: float = 10.0
    default_username: str = "admin"
    default_password: str = "changeme"
    # May a missing SQLite file or an empty PostgreSQL database become Koito's? Only where the
    # user means it (the embedded default, --create, KOITO_IMPORT_CREATE=1): a typo in --db
    # must not quietly make a new Koito database with the default password.
    create: bool = False


def skip_reason(item: Scrobble | Skip, options: ImportOptions) -> str | None:
    """Why an item read is left out (None: it is imported); with --strict, an item the input
    itself cannot give is an error instead."""
    if isinstance(item, Skip):
        if options.strict:
            raise StrictSkip(f"{item.where}: {item.reason} (--strict)")
        return item.reason
    if not _in_window(item.listened_at, options):
        return "outside --after/--before"
    return None


def _in_window(listened_at: int, options: ImportOptions) -> bool:
    """Both bounds are inclusive, as in Koito's KOITO_IMPORT_AFTER/BEFORE_UNIX."""
    if options.after is not None and listened_at < options.after:
        return False
    return options.before is None or listened_at <= options.before
