"""`koito-import report`: what a Koito database holds, counted the way Koito counts it.

Koito's charts (db/queries/*.sql, internal/db/sqlite/*.go) count a listen once for every artist
its track credits, featured artists included (listens JOIN artist_tracks); an album's listens
are its tracks' listens (tracks.release_id); a track's are its own. Ties go to the lower id. Names
and titles are primary aliases (the *_with_name / *_with_title views). Months and years are UTC.

Two aggregate queries over `listens` make the report, read-only, on either back end: one counts
per month and client, the other counts listens per track once and sums those counts per artist
and per album for the three top lists. `Landed` (what one import inserted) is reported the same
way after an import. What a report holds is koito_import.report.data; the connections,
koito_import.report.readers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from koito_import.core.dburl import Database
from koito_import.core.summary import DAY_S, Landed
from koito_import.report.data import Ranked, Report, every_month, month_of
from koito_import.report.readers import Reader, koito_reader

IDS_PER_QUERY = 500  # track ids per look-up: under every SQLite's bound-variable limit


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
    with koito_reader(db) as reader:
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


def _months_and_clients(reader: Reader, scope: _Scope, report: Report) -> None:
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


def _tops(reader: Reader, scope: _Scope, report: Report, top: int) -> None:
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


def _credits(reader: Reader, links: str, column: str, ids: Sequence[int]) -> dict[int, list[str]]:
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
    with koito_reader(db) as reader:
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
