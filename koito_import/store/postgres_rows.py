"""Writing one planned batch on PostgreSQL: entities with COPY (ids already allocated from
Koito's sequences), then updates, listens and lookup rows through temporary tables."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import psycopg

from koito_import.core.model import Alias
from koito_import.store import sql_postgres as q
from koito_import.store.base import BatchWrite, NewRelease
from koito_import.store.refs import RefMap


def _copy(conn: psycopg.Connection, sql: str, rows: Iterator[tuple[Any, ...]] | list) -> None:
    with conn.cursor().copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def copy_entities(conn: psycopg.Connection, batch: BatchWrite, refs: RefMap) -> None:
    a, r, t = refs.artist, refs.release, refs.track
    if batch.artists:
        _copy(
            conn,
            q.COPY_ARTISTS,
            [(a(-i - 1), n.mbid, n.image, n.image_source) for i, n in enumerate(batch.artists)],
        )
        _copy(conn, q.COPY_ARTIST_ALIASES, refs.aliases(batch.artists, a))
    if batch.releases:
        _copy(
            conn,
            q.COPY_RELEASES,
            [
                (r(-i - 1), n.mbid, n.image, n.various_artists, n.image_source)
                for i, n in enumerate(batch.releases)
            ],
        )
        _copy(conn, q.COPY_RELEASE_ALIASES, refs.aliases(_trimmed_too(batch.releases), r))
    if batch.artist_releases:
        _copy(conn, q.COPY_TMP_LINKS, [(a(x), r(y), p) for x, y, p in batch.artist_releases])
        conn.execute(q.INSERT_ARTIST_RELEASES)
    if batch.tracks:
        _copy(
            conn,
            q.COPY_TRACKS,
            [(t(-i - 1), n.mbid, n.duration, r(n.release)) for i, n in enumerate(batch.tracks)],
        )
        _copy(conn, q.COPY_TRACK_ALIASES, refs.aliases(batch.tracks, t))
    if batch.artist_tracks:
        _copy(conn, q.COPY_TMP_LINKS, [(a(x), t(y), p) for x, y, p in batch.artist_tracks])
        conn.execute(q.INSERT_ARTIST_TRACKS)


def _trimmed_too(releases: list[NewRelease]) -> list[NewRelease]:
    """Koito's PostgreSQL SaveAlbum also saves every alias of a new release trimmed (source
    MusicBrainz): a title with spaces around it gets its trimmed text as a second alias
    (`RefMap.aliases` keeps the first of two equal texts)."""
    return [
        replace(new, aliases=[*new.aliases, *_trimmed(new.aliases)])
        if any(a.alias != a.alias.strip() for a in new.aliases)
        else new
        for new in releases
    ]


def _trimmed(aliases: list[Alias]) -> list[Alias]:
    return [Alias(a.alias.strip(), "MusicBrainz", False) for a in aliases if a.alias.strip()]


def apply_updates(conn: psycopg.Connection, batch: BatchWrite, refs: RefMap) -> None:
    for sql, pairs, resolve in (
        (q.SET_ARTIST_MBIDS, batch.artist_mbids, refs.artist),
        (q.SET_RELEASE_MBIDS, batch.release_mbids, refs.release),
        (q.SET_TRACK_MBIDS, batch.track_mbids, refs.track),
        (q.SET_TRACK_DURATIONS, batch.track_durations, refs.track),
    ):
        if pairs:
            conn.execute(sql, ([resolve(p[0]) for p in pairs], [p[1] for p in pairs]))


def copy_listens(
    conn: psycopg.Connection, batch: BatchWrite, refs: RefMap
) -> list[tuple[int, int]]:
    """The (track, listened_at) of the listens inserted (not those already there)."""
    if not batch.listens:
        return []
    new = refs.new_tracks
    rows = ((t if t > 0 else new[~t], ts, client) for t, ts, client in batch.listens)
    _copy(conn, q.COPY_TMP_LISTENS, rows)
    return conn.execute(q.INSERT_LISTENS, (batch.user_id,)).fetchall()  # type: ignore[return-value]


def copy_lookups(conn: psycopg.Connection, batch: BatchWrite, refs: RefMap) -> None:
    if batch.lookups:
        _copy(
            conn,
            q.COPY_TMP_LOOKUPS,
            (
                (x.key, refs.artist(x.artist), refs.release(x.release), refs.track(x.track))
                for x in batch.lookups
            ),
        )
        conn.execute(q.UPSERT_LOOKUPS)
