"""What an import did, as the summary table and the --json object show it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from koito_import import __version__

DAY_S = 86_400


@dataclass(slots=True)
class Landed:
    """The listens a run inserted, tallied for the short report after an import: listens per
    UTC day and per track id (what a track's listens count for is looked up afterwards)."""

    days: Counter[int] = field(default_factory=Counter)
    tracks: Counter[int] = field(default_factory=Counter)

    def add(self, listens: Iterable[tuple[int, int]]) -> None:
        listens = list(listens)
        self.tracks.update(track for track, _ in listens)
        self.days.update(at // DAY_S for _, at in listens)


@dataclass(slots=True)
class Summary:
    database: str = ""
    user: str = ""
    read: int = 0
    skipped: int = 0
    skip_reasons: Counter[str] = field(default_factory=Counter)
    inserted: int = 0
    duplicates: int = 0
    artists_created: int = 0
    releases_created: int = 0
    tracks_created: int = 0
    batches: int = 0
    elapsed_s: float = 0.0
    dry_run: bool = False
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)
    run_id: int | None = None  # the ledger's record of this run (None for a dry run)
    created_user: str | None = None  # the note, when this run created Koito's default user
    landed: Landed = field(default_factory=Landed)
    # Spotify's one play in two exports (catalog.minutes): minute listens counted among the
    # duplicates, and minute listens stored earlier that listens to the second replaced.
    minute_duplicates: int = 0
    minute_replaced: int = 0

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.skip_reasons[reason] += 1

    def as_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "user": self.user,
            "read": self.read,
            "skipped": self.skipped,
            "skip_reasons": dict(self.skip_reasons.most_common()),
            "inserted": self.inserted,
            "duplicates": self.duplicates,
            "artists_created": self.artists_created,
            "releases_created": self.releases_created,
            "tracks_created": self.tracks_created,
            "batches": self.batches,
            "elapsed_s": round(self.elapsed_s, 3),
            "dry_run": self.dry_run,
            "interrupted": self.interrupted,
            "notes": self.notes,
            "run_id": self.run_id,
            "version": __version__,  # which koito-import wrote this line (cron logs outlive it)
        }


def same_play_notes(summary: Summary) -> list[str]:
    """What the summary says about Spotify's one play in two exports."""
    notes = []
    if summary.minute_duplicates:
        notes.append(
            f"{summary.minute_duplicates} listens known to the minute (Spotify account data) "
            "were there already, to the second: counted as duplicates"
        )
    if summary.minute_replaced:
        notes.append(
            f"{summary.minute_replaced} listens known to the minute (Spotify account data) "
            "were replaced by the same plays, to the second"
        )
    return notes
