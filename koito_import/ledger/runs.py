"""A run as the ledger keeps it: its statuses, counts and input files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from koito_import.core.times import iso

RUNNING, COMPLETED, INTERRUPTED, FAILED, UNDONE = (
    "running",
    "completed",
    "interrupted",
    "failed",
    "undone",
)
COUNTS = (
    "read_items",
    "skipped",
    "inserted",
    "duplicates",
    "artists_created",
    "releases_created",
    "tracks_created",
    "batches",
)


@dataclass(slots=True)
class RunFile:
    path: str
    size: int
    sha256: str


@dataclass(slots=True)
class Run:
    id: int
    started_at: int  # unix seconds
    finished_at: int | None
    source: str
    user: str
    status: str
    read: int = 0
    skipped: int = 0
    inserted: int = 0
    duplicates: int = 0
    artists_created: int = 0
    releases_created: int = 0
    tracks_created: int = 0
    batches: int = 0
    error: str | None = None
    undone_at: int | None = None
    version: str | None = None  # the koito-import that wrote it (None: before 0004_run_version)
    files: list[RunFile] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "source": self.source,
            "user": self.user,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
            "status": self.status,
            "read": self.read,
            "skipped": self.skipped,
            "inserted": self.inserted,
            "duplicates": self.duplicates,
            "artists_created": self.artists_created,
            "releases_created": self.releases_created,
            "tracks_created": self.tracks_created,
            "batches": self.batches,
            "error": self.error,
            "undone_at": iso(self.undone_at),
            "version": self.version,
        }
