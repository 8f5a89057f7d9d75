"""Writing one planned batch on SQLite: new entities with ids after the highest there is, their
aliases and links, then updates, listens and lookup rows, each table in one statement."""

from __future__ import annotations

import operator
import sqlite3
from typing import Any

from koito_import.store import sql_sqlite as q
from koito_import.store.base import BatchWrite
from koito_import.store.refs import RefMap


def create_entities(conn: sqlite3.Connection, batch: BatchWrite) -> RefMap:
    """Every new artist, release and track with its aliases: one statement per table."""
    refs = RefMap(
        _new_ids(conn, "artists", len(batch.artists)),
        _new_ids(conn, "releases", len(batch.releases)),
        _new_ids(conn, "tracks", len(batch.tracks)),
    )
    a, r, t = refs.artist, refs.release, refs.track
    rows: dict[str, list[tuple[Any, ...]]] = {
        q.INSERT_ARTISTS: [
            (a(~i), n.mbid, n.image, n.image_source) for i, n in enumerate(batch.artists)
        ],
        q.INSERT_RELEASES: [
            (r(~i), n.mbid, int(n.various_artists), n.image, n.image_source)
            for i, n in enumerate(batch.releases)
        ],
        q.INSERT_TRACKS: [
            (t(~i), n.mbid, n.duration, r(n.release)) for i, n in enumerate(batch.tracks)
        ],
    }
    for sql, new in rows.items():
        if new:
            conn.executemany(sql, new)
    for table, fk, entities, resolve in (
        ("artist_aliases", "artist_id", batch.artists, a),
        ("release_aliases", "release_id", batch.releases, r),
        ("track_aliases", "track_id", batch.tracks, t),
    ):
        if entities:
            sql = q.INSERT_ALIASES.format(table=table, fk=fk)
            conn.executemany(sql, refs.aliases(entities, resolve))
    return refs


def _new_ids(conn: sqlite3.Connection, table: str, count: int) -> list[int]:
    if not count:
        return []
    highest = conn.execute(q.MAX_ID.format(table=table)).fetchone()[0] or 0
    return list(range(highest + 1, highest + 1 + count))


def link_and_fill(conn: sqlite3.Connection, batch: BatchWrite, refs: RefMap) -> None:
    """Artist links (kept as they are when present), missing MBIDs, missing durations."""
    a, r, t = refs.artist, refs.release, refs.track
    conn.executemany(
        q.INSERT_ARTIST_RELEASES, [(a(x), r(y), int(p)) for x, y, p in batch.artist_releases]
    )
    conn.executemany(
        q.INSERT_ARTIST_TRACKS, [(a(x), t(y), int(p)) for x, y, p in batch.artist_tracks]
    )
    for table, pairs, resolve in (
        ("artists", batch.artist_mbids, a),
        ("releases", batch.release_mbids, r),
        ("tracks", batch.track_mbids, t),
    ):
        sql = q.SET_MBID.format(table=table)
        conn.executemany(sql, [(mbid, resolve(ref)) for ref, mbid in pairs])
    conn.executemany(q.SET_DURATION, [(d, t(ref)) for ref, d in batch.track_durations])


def insert_listens(
    conn: sqlite3.Connection, batch: BatchWrite, refs: RefMap
) -> list[tuple[int, int]]:
    """Insert the listens, keeping any existing (track, listened_at); return the (track,
    listened_at) of those that landed. In primary-key order (a stable sort: of two listens of
    one track and second, the first still wins), so the indexes fill page by page."""
    new = refs.new_tracks
    rows = [(t if t > 0 else new[~t], ts, client or "") for t, ts, client in batch.listens]
    rows.sort(key=_primary_key)
    conn.execute("DELETE FROM temp.q_listens")
    conn.executemany("INSERT INTO temp.q_listens VALUES (?, ?, ?)", rows)
    return conn.execute(q.INSERT_LISTENS, (batch.user_id,)).fetchall()


def upsert_lookups(conn: sqlite3.Connection, batch: BatchWrite, refs: RefMap) -> None:
    """In key order, for the same reason as the listens (keys are unique in a batch)."""
    rows = sorted(
        (x.key, refs.artist(x.artist), refs.release(x.release), refs.track(x.track))
        for x in batch.lookups
    )
    before = conn.total_changes
    conn.executemany(q.INSERT_LOOKUPS, rows)
    if conn.total_changes - before < len(rows):
        conn.executemany(q.UPDATE_LOOKUPS, rows)


_primary_key = operator.itemgetter(0, 1)
