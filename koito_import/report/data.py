"""What a report holds, and its JSON form: the numbers `koito-import report` and the short
report after an import gather (report.queries), whatever draws them (report.charts)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from koito_import.core.times import iso

MONTHLY_UP_TO = 24  # months: a shorter history is charted per month, a longer one per year


@dataclass(slots=True)
class Ranked:
    """One line of a top list. `artists`: for albums and tracks, every artist credited,
    primary artists first."""

    id: int
    name: str
    listens: int
    artists: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Report:
    database: str
    user: str | None = None  # None: every user's listens, as Koito's own charts count them
    since: int | None = None
    until: int | None = None
    listens: int = 0
    artists: int = 0  # how many different artists, albums and tracks were listened to
    albums: int = 0
    tracks: int = 0
    first_listen: int | None = None
    last_listen: int | None = None
    months: list[tuple[str, int]] = field(default_factory=list)  # "YYYY-MM", every month
    top_artists: list[Ranked] = field(default_factory=list)
    top_albums: list[Ranked] = field(default_factory=list)
    top_tracks: list[Ranked] = field(default_factory=list)
    clients: list[tuple[str | None, int]] = field(default_factory=list)

    @property
    def period(self) -> str:
        """Per "month" when the listens span at most MONTHLY_UP_TO calendar months, else "year"."""
        return "month" if 0 < len(self.months) <= MONTHLY_UP_TO else "year"

    def buckets(self) -> list[tuple[str, int]]:
        """Listens per month or per year (see `period`), every one from first to last."""
        if self.period == "month":
            return list(self.months)
        years: Counter[str] = Counter()
        for month, n in self.months:
            years[month[:4]] += n
        return sorted(years.items())

    def as_json(self) -> dict[str, Any]:
        if self.period == "month":
            chart = {"by_month": [{"month": m, "listens": n} for m, n in self.buckets()]}
        else:
            chart = {"by_year": [{"year": int(y), "listens": n} for y, n in self.buckets()]}
        return {
            "database": self.database,
            "user": self.user,
            "since": iso(self.since),
            "until": iso(self.until),
            "listens": self.listens,
            "artists": self.artists,
            "albums": self.albums,
            "tracks": self.tracks,
            "first_listen": iso(self.first_listen),
            "last_listen": iso(self.last_listen),
            **chart,
            "top_artists": [{"id": r.id, "name": r.name, "listens": r.listens}
                            for r in self.top_artists],
            "top_albums": [_titled(r) for r in self.top_albums],
            "top_tracks": [_titled(r) for r in self.top_tracks],
            "clients": [{"client": c, "listens": n} for c, n in self.clients],
        }  # fmt: skip


def _titled(r: Ranked) -> dict[str, Any]:
    return {"id": r.id, "title": r.name, "artists": r.artists, "listens": r.listens}


def month_of(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m")


def every_month(counts: dict[str, int]) -> list[tuple[str, int]]:
    """`counts` ("YYYY-MM" -> listens) with the empty months between first and last filled."""
    if not counts:
        return []
    first, last = min(counts), max(counts)
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while (key := f"{year:04d}-{month:02d}") <= last:
        out.append((key, counts.get(key, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
