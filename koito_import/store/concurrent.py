"""Importing beside a running Koito: did Koito create, meanwhile, what a batch creates?

A batch is planned from what the database held when planning began (its `CatalogMark`: the
highest artist, release and track ids), and written later. When Koito receives a listen in
between and creates one of the artists, releases or tracks the batch is about to create, the
batch would create it a second time. So the write transaction first looks at the entities
created since the mark: when one has a name the batch creates (an artist alias; a release or
track primary title), it raises `CatalogChanged`, nothing is written, and the pipeline plans
the batch again (it then finds Koito's entity). On SQLite the write transaction holds the
write lock; on PostgreSQL it first takes SHARE locks on the alias tables, so Koito's inserts
wait for the few hundred milliseconds of the write instead of slipping in after the check.

The mark must be exact: every entity at or below it is one planning can see. On SQLite it is,
as one writer at a time takes max(id)+1. On PostgreSQL ids come from sequences, so a Koito
transaction can take id 1, stay open while another commits id 2, and commit after a mark of 2
was read: its entity would be neither seen by planning nor above the mark. So the mark of each
table is read under a SHARE lock on it, which waits for every transaction inserting into that
table to end (Koito's inserts take ROW EXCLUSIVE when they draw their id): once it is held,
every id drawn so far belongs to a transaction that has ended, and every id drawn later is
higher. One table at a time, each in its own short transaction, so the mark never holds one
lock while waiting for another (no deadlock with Koito, whatever order it writes in).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from koito_import.store.base import BatchWrite, CatalogMark

if TYPE_CHECKING:  # the SQLite back end imports this module too, and never needs psycopg
    import psycopg

MARK = """
SELECT (SELECT coalesce(max(id), 0) FROM artists), (SELECT coalesce(max(id), 0) FROM releases),
       (SELECT coalesce(max(id), 0) FROM tracks)"""

ENTITY_TABLES = ("artists", "releases", "tracks")

SQLITE_CHANGED = """
SELECT EXISTS (SELECT 1 FROM artist_aliases WHERE artist_id > ?
               AND alias IN (SELECT value FROM json_each(?)))
    OR EXISTS (SELECT 1 FROM release_aliases WHERE release_id > ? AND is_primary
               AND alias IN (SELECT value FROM json_each(?)))
    OR EXISTS (SELECT 1 FROM track_aliases WHERE track_id > ? AND is_primary
               AND alias IN (SELECT value FROM json_each(?)))"""

POSTGRES_LOCK = "LOCK TABLE artist_aliases, release_aliases, track_aliases IN SHARE MODE"
POSTGRES_CHANGED = """
SELECT EXISTS (SELECT 1 FROM artist_aliases WHERE artist_id > %s AND alias = ANY(%s::text[]))
    OR EXISTS (SELECT 1 FROM release_aliases WHERE release_id > %s AND is_primary
               AND alias = ANY(%s::text[]))
    OR EXISTS (SELECT 1 FROM track_aliases WHERE track_id > %s AND is_primary
               AND alias = ANY(%s::text[]))"""


def creates_anything(batch: BatchWrite) -> bool:
    return bool(batch.mark and (batch.artists or batch.releases or batch.tracks))


def created_names(batch: BatchWrite) -> tuple[list[str], list[str], list[str]]:
    """Every alias of the new artists (Koito matches an artist by any alias), and the primary
    titles of the new releases and tracks."""
    artists = sorted({a.alias for new in batch.artists for a in new.aliases})
    releases = sorted({new.aliases[0].alias for new in batch.releases})
    tracks = sorted({new.aliases[0].alias for new in batch.tracks})
    return artists, releases, tracks


def check_params(batch: BatchWrite, encode: Callable[[list[str]], Any]) -> tuple[Any, ...]:
    assert batch.mark is not None
    mark = batch.mark
    artists, releases, tracks = created_names(batch)
    return (
        mark.artists,
        encode(artists),
        mark.releases,
        encode(releases),
        mark.tracks,
        encode(tracks),
    )


def postgres_mark(conn: psycopg.Connection) -> CatalogMark:
    """The mark, each table's read once its unfinished inserts have ended (see above);
    `conn` is in autocommit mode, so each lock lasts one short transaction."""
    highest = []
    for table in ENTITY_TABLES:
        with conn.transaction():
            conn.execute(f"LOCK TABLE {table} IN SHARE MODE")
            row = conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
            highest.append(row[0] if row else 0)
    return CatalogMark(*highest)
