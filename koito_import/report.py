"""`koito-import report`: what a Koito database holds, counted the way Koito counts it.

Koito's charts (db/queries/*.sql, internal/db/sqlite/*.go) count a listen once for every artist
its track credits, featured artists included (listens JOIN artist_tracks); an album's listens
are its tracks' listens (tracks.release_id); a track's are its own. Ties go to the lower id. Names
and titles are primary aliases (the *_with_name / *_with_title views). Months and years are UTC.

Two aggregate queries over `listens` make the report, read-only, on either back end: one counts
per month and client, the other counts listens per track once and sums those counts per artist
and per album for the three top lists. `Landed` (what one import inserted) is reported the same
way after an import.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from koito_import.dburl import Database
from koito_import.store.base import StoreError
from koito_import.store.shared import one_line
from koito_import.summary import DAY_S, Landed

MONTHLY_UP_TO = 24  # months: a shorter history is charted per month, a longer one per year
IDS_PER_QUERY = 500  # track ids per look-up: under every SQLite's bound-variable limit
NEEDED = frozenset(
    {
        "listens",
        "tracks",
        "artist_tracks",
        "artist_releases",
        "users",
        "artist_aliases",
        "release_aliases",
        "track_aliases",
    }
)


class ReportError(StoreError):
    """The report cannot be made (no such database or user, not Koito's): one line."""


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


def iso(unix: int | None) -> str | None:
    if unix is None:
        return None
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


# -- the whole database ---------------------------------------------------------------------


def build_report(
    db: Database,
    *,
    user: str | None = None,
    top: int = 10,
    since: int | None = None,
    until: int | None = None,
) -> Report:
    """What `db` holds (for `user`, between `since` and `until`, both included)."""
    with _reader(db) as reader:
        report = Report(db.display(), since=since, until=until)
        where, params = ["TRUE"], []
        if user is not None:
            user_id, report.user = reader.user(user)
            where.append("l.user_id = %s")
            params.append(user_id)
        if since is not None:
            where.append("l.listened_at >= %s")
            params.append(reader.moment(since))
        if until is not None:
            where.append("l.listened_at <= %s")
            params.append(reader.moment(until))
        scope = _Scope(" AND ".join(where), params)
        _months_and_clients(reader, scope, report)
        _tops(reader, scope, report, top)
    return report


@dataclass(slots=True)
class _Scope:
    """The listens a report covers: a WHERE clause over `listens l` and its parameters."""

    where: str
    params: list[Any]


def _months_and_clients(reader: _Reader, scope: _Scope, report: Report) -> None:
    """One pass over the listens: counts per month and client, first and last listen.
    NULL (PostgreSQL) and '' (SQLite's default) both mean no client."""
    rows = reader.rows(
        f"SELECT {reader.month_sql}, l.client, count(*), min(l.listened_at), max(l.listened_at)"
        f" FROM listens l WHERE {scope.where} GROUP BY 1, 2",
        scope.params,
    )
    months: Counter[str] = Counter()
    clients: Counter[str | None] = Counter()
    for month, client, n, _, _ in rows:
        months[reader.month_key(month)] += n
        clients[client or None] += n
    report.months = every_month(months)
    report.listens = sum(months.values())
    report.clients = sorted(clients.items(), key=lambda cn: (-cn[1], cn[0] is None, cn[0] or ""))
    if rows:
        report.first_listen = reader.unix(min(r[3] for r in rows))
        report.last_listen = reader.unix(max(r[4] for r in rows))


# One statement for the three top lists, so the listens are counted per track only once; each
# list is then Koito's count: an artist's listens are those of every track crediting it, an
# album's those of its tracks. Ranked and counted (the window: how many there are in all) before
# the names are joined, as Koito's own track query does, so only the top rows meet the aliases;
# a name is the primary alias (what the *_with_name views give), read through the alias tables'
# indexes, which SQLite cannot use through a view.
TOPS = """
WITH per_track AS MATERIALIZED (
    SELECT l.track_id AS id, count(*) AS n FROM listens l WHERE {where} GROUP BY l.track_id
),
by_artist AS (
    SELECT at.artist_id AS id, CAST(sum(p.n) AS BIGINT) AS n
    FROM per_track p JOIN artist_tracks at ON at.track_id = p.id
    GROUP BY at.artist_id
),
by_album AS (
    SELECT t.release_id AS id, CAST(sum(p.n) AS BIGINT) AS n
    FROM per_track p JOIN tracks t ON t.id = p.id
    GROUP BY t.release_id
)
SELECT 'artist', x.id, a.alias, x.n, x.total FROM (
    SELECT id, n, count(*) OVER () AS total FROM by_artist ORDER BY n DESC, id LIMIT %s
) x LEFT JOIN artist_aliases a ON a.artist_id = x.id AND a.is_primary
UNION ALL
SELECT 'album', x.id, r.alias, x.n, x.total FROM (
    SELECT id, n, count(*) OVER () AS total FROM by_album ORDER BY n DESC, id LIMIT %s
) x LEFT JOIN release_aliases r ON r.release_id = x.id AND r.is_primary
UNION ALL
SELECT 'track', x.id, t.alias, x.n, x.total FROM (
    SELECT id, n, count(*) OVER () AS total FROM per_track ORDER BY n DESC, id LIMIT %s
) x LEFT JOIN track_aliases t ON t.track_id = x.id AND t.is_primary
"""
# Every artist credited, primary ones first, for the albums and tracks of the top lists.
CREDITS = """
SELECT x.{item}, a.alias FROM {links} x
JOIN artist_aliases a ON a.artist_id = x.artist_id AND a.is_primary
WHERE x.{item} IN ({ids})
ORDER BY x.{item}, x.is_primary DESC, x.artist_id
"""


def _tops(reader: _Reader, scope: _Scope, report: Report, top: int) -> None:
    lists: dict[str, list[Ranked]] = {"artist": [], "album": [], "track": []}
    totals = dict.fromkeys(lists, 0)
    for kind, item, name, n, total in reader.rows(
        TOPS.format(where=scope.where), [*scope.params, top, top, top]
    ):
        lists[kind].append(Ranked(item, name or "", int(n)))
        totals[kind] = int(total)
    for ranked in lists.values():
        ranked.sort(key=lambda r: (-r.listens, r.id))
    report.top_artists, report.top_albums, report.top_tracks = lists.values()
    report.artists, report.albums, report.tracks = totals.values()
    for items, links, column in (
        (report.top_albums, "artist_releases", "release_id"),
        (report.top_tracks, "artist_tracks", "track_id"),
    ):
        credits = _credits(reader, links, column, [r.id for r in items])
        for r in items:
            r.artists = credits.get(r.id, [])


def _credits(reader: _Reader, links: str, column: str, ids: Sequence[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for chunk in _chunks(ids):
        sql = CREDITS.format(item=column, links=links, ids=", ".join(["%s"] * len(chunk)))
        for item, name in reader.rows(sql, chunk):
            names.setdefault(item, []).append(name)
    return names


# -- what one import inserted ---------------------------------------------------------------


def landed_report(db: Database, landed: Landed, top: int = 5, artists: bool = True) -> Report:
    """The report of the listens an import inserted (tallied by the pipeline while writing):
    per month or year, and (`artists`: looked up in `db`, so not after a dry run, whose rows are
    gone) the top artists, counted as Koito counts them."""
    report = Report(db.display())
    months: Counter[str] = Counter()
    for day, n in landed.days.items():
        months[month_of(day * DAY_S)] += n
    report.months = every_month(months)
    report.listens = sum(landed.days.values())
    if artists and landed.tracks:
        report.top_artists, report.artists = _landed_artists(db, landed.tracks, top)
    return report


LANDED_CREDITS = """
SELECT at.track_id, a.artist_id, a.alias FROM artist_tracks at
JOIN artist_aliases a ON a.artist_id = at.artist_id AND a.is_primary
"""
ALL_CREDITS_FROM = 4 * IDS_PER_QUERY  # tracks: past this, one read of every link is cheaper


def _landed_artists(db: Database, tracks: Counter[int], top: int) -> tuple[list[Ranked], int]:
    """The artists credited on the tracks a run listened to, Koito's way; a few tracks are
    looked up by id, a big import's (up to every track there is) in one read of all links."""
    listens: Counter[int] = Counter()
    names: dict[int, str] = {}
    with _reader(db) as reader:
        if len(tracks) >= ALL_CREDITS_FROM:
            found = reader.rows(LANDED_CREDITS)
        else:
            found = [
                row
                for chunk in _chunks(sorted(tracks))
                for row in reader.rows(
                    f"{LANDED_CREDITS} WHERE at.track_id IN ({', '.join(['%s'] * len(chunk))})",
                    chunk,
                )
            ]
        for track, artist, name in found:
            if track in tracks:
                listens[artist] += tracks[track]
                names[artist] = name
    best = sorted(listens.items(), key=lambda an: (-an[1], an[0]))[:top]
    return [Ranked(a, names[a], n) for a, n in best], len(listens)


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), IDS_PER_QUERY):
        yield list(ids[i : i + IDS_PER_QUERY])


# -- read-only access to either back end ----------------------------------------------------


class _Reader:
    """One read-only connection. SQL is written with %s placeholders (psycopg's); SQLite gets
    them as ?. `l.listened_at` is a timestamptz on PostgreSQL, unix seconds on SQLite."""

    month_sql: str  # what `month_key` makes "YYYY-MM" of

    def __init__(self, db: Database) -> None:
        self.db = db

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def moment(self, unix: int) -> Any:
        """A bound on l.listened_at, as the driver takes it."""
        return unix

    def unix(self, listened_at: Any) -> int:
        """The unix seconds of a listened_at the driver returned."""
        return int(listened_at)

    def month_key(self, value: Any) -> str:
        raise NotImplementedError

    def relations(self) -> set[str]:
        raise NotImplementedError

    def check_koito(self) -> None:
        found = self.relations()
        if not found & NEEDED:
            raise ReportError(
                f"{self.db.display()} has no Koito tables, so nothing to report"
                " (`koito-import db status` says what it is)"
            )
        if missing := NEEDED - found:
            raise ReportError(
                f"{self.db.display()} is not a whole Koito database (missing:"
                f" {', '.join(sorted(missing))}); `koito-import db status` says more"
            )

    def user(self, name: str) -> tuple[int, str]:
        """The user's id and name as Koito stores it (lower case), or a one-line error."""
        row = self.rows("SELECT id, username FROM users WHERE username = %s", [name.lower()])
        if row:
            return row[0][0], row[0][1]
        known = [r[0] for r in self.rows("SELECT username FROM users ORDER BY id LIMIT 6")]
        listed = ", ".join(known[:5]) + (", ..." if len(known) > 5 else "")
        users = f"its users: {listed}" if known else "it has no users yet"
        raise ReportError(f"no user {name!r} in {self.db.display()} ({users})")


class _SqliteReader(_Reader):
    # The UTC day (floored for times before 1970): integer arithmetic is much cheaper than
    # strftime on every row, and a few thousand days make months in Python.
    month_sql = "l.listened_at / 86400 - (l.listened_at % 86400 < 0)"

    def month_key(self, value: Any) -> str:
        return month_of(value * DAY_S)

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        if not db.path.is_file():
            raise ReportError(f"{db.display()} does not exist")
        try:
            # Read-only: a report never takes a write lock on the file Koito is serving from.
            self.conn = sqlite3.connect(f"{db.path.resolve().as_uri()}?mode=ro", uri=True)
            self.conn.execute("PRAGMA busy_timeout = 5000")
        except sqlite3.Error as exc:
            raise ReportError(f"{db.display()}: {exc}") from None

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.conn.execute(sql.replace("%s", "?"), list(params)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise ReportError(f"{self.db.display()}: {exc}") from None

    def relations(self) -> set[str]:
        return {r[0] for r in self.rows("SELECT name FROM sqlite_master")}

    def close(self) -> None:
        self.conn.close()


class _PostgresReader(_Reader):
    month_sql = "date_trunc('month', l.listened_at AT TIME ZONE 'UTC')"

    def month_key(self, value: Any) -> str:
        return value.strftime("%Y-%m")

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        import psycopg

        self.errors = psycopg.Error
        try:
            self.conn = psycopg.connect(db.url, connect_timeout=10)
            self.conn.read_only = True
        except psycopg.Error as exc:
            raise ReportError(f"cannot connect to {db.display()}: {one_line(exc)}") from None

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.conn.execute(sql, list(params)).fetchall()  # type: ignore[arg-type]
        except self.errors as exc:
            raise ReportError(f"{self.db.display()}: {one_line(exc)}") from None

    def moment(self, unix: int) -> Any:
        return datetime.fromtimestamp(unix, UTC)

    def unix(self, listened_at: Any) -> int:
        return int(listened_at.timestamp())

    def relations(self) -> set[str]:
        sql = (
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = ANY (current_schemas(false))"
        )
        return {r[0] for r in self.rows(sql)}

    def close(self) -> None:
        self.conn.close()


@contextmanager
def _reader(db: Database) -> Iterator[_Reader]:
    reader: _SqliteReader | _PostgresReader = (
        _PostgresReader(db) if db.kind == "postgresql" else _SqliteReader(db)
    )
    try:
        reader.check_koito()
        yield reader
    finally:
        reader.close()
