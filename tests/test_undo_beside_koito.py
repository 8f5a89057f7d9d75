"""`undo` beside a running Koito (issue 22): a listen Koito inserts on one of the run's tracks
while the run is being undone is kept with its track, not rejected. Koito is played by the
plain INSERT its SaveListen runs, on a connection of its own."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest

from koito_import.core.dburl import Database
from koito_import.ledger.undo import undo_run
from koito_import.ledger.undo_steps import UndoSteps
from tests.support import import_files, rows, value
from tests.test_ledger import A, maloja

KOITO_LISTEN = (
    "INSERT INTO listens (track_id, listened_at, client, user_id)"
    " VALUES (%s, to_timestamp(%s), 'koito', (SELECT min(id) FROM users))"
)
ONLY_A = "SELECT track_id FROM track_aliases WHERE alias = 'Only A'"
KOITO_TIME = 1_800_000_000


def koito_connection(db: Database, autocommit: bool) -> psycopg.Connection:
    """Koito's session: it gives up after 3 s where the old undo made it wait to the end."""
    conn = psycopg.connect(db.url, autocommit=autocommit)
    conn.execute("SET lock_timeout = '3s'")
    return conn


def during_undo(monkeypatch: pytest.MonkeyPatch, koito: Callable[[], None]) -> None:
    """Run `koito` right after the undo has removed the run's listens."""
    remove = UndoSteps._remove_listens

    def then_koito(self: Any) -> int:
        removed = remove(self)
        koito()
        return removed

    monkeypatch.setattr(UndoSteps, "_remove_listens", then_koito)


@pytest.mark.parametrize("committed", [True, False], ids=["committed", "in-flight"])
def test_a_koito_listen_during_undo_keeps_its_track(
    pg_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, committed: bool
) -> None:
    """Koito scrobbles "Only A" (a track of run 1, with no other listen) while run 1 is undone:
    its listen commits at once, or is still in flight when the undo locks what may go. Either
    way Koito's insert goes through and the track, its album and artist stay. (The undo used to
    lock every candidate row FOR UPDATE before removing listens, so Koito's foreign key check
    waited, then failed with ForeignKeyViolation once the track was gone.)"""
    import_files(pg_db, "maloja", maloja(tmp_path / "a.json", *A))
    track = value(pg_db, ONLY_A)
    koito = koito_connection(pg_db, autocommit=committed)
    during_undo(monkeypatch, lambda: koito.execute(KOITO_LISTEN, (track, KOITO_TIME)))
    try:
        result = undo_run(pg_db, 1)
        koito.commit()
    finally:
        koito.close()

    assert rows(pg_db, "SELECT track_id, client FROM listens") == [(track, "koito")]
    assert (result.listens_removed, result.tracks_removed, result.tracks_kept) == (3, 2, 1)
    assert (result.releases_kept, result.artists_kept) == (1, 1)  # Only A's album, Solo
    names = "SELECT alias FROM artist_aliases ORDER BY alias"
    assert rows(pg_db, names) == [("Solo",)]


def test_undo_leaves_a_listen_a_later_run_brought_back(any_db: Database, tmp_path: Path) -> None:
    """Issue 22, suspected: a listen of run 1 deleted in Koito, then inserted again by run 2,
    is in both runs' ledgers. It is run 2's now: undoing run 1 leaves it, with its track."""
    a = maloja(tmp_path / "a.json", *A)
    import_files(any_db, "maloja", a)
    song_b = value(any_db, "SELECT track_id FROM track_aliases WHERE alias = 'Song B'")
    at = "to_timestamp(%s)" if any_db.kind == "postgresql" else "%s"
    rows_deleted = f"DELETE FROM listens WHERE track_id = %s AND listened_at = {at} RETURNING 1"
    assert rows(any_db, rows_deleted, song_b, 1_700_000_300) == [(1,)]  # Koito deletes it
    assert import_files(any_db, "maloja", a).inserted == 1  # run 2 brings it back

    result = undo_run(any_db, 1)

    assert result.listens_removed == 2
    assert rows(any_db, "SELECT track_id FROM listens") == [(song_b,)]
    assert (result.tracks_kept, result.releases_kept, result.artists_kept) == (1, 1, 1)
    undo_run(any_db, 2)  # and run 2 takes it, and what it kept, away
    assert value(any_db, "SELECT count(*) FROM listens") == 0
    assert value(any_db, "SELECT count(*) FROM tracks") == 0


def koito(db: Database, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """A statement as Koito runs it: on SQLite with its foreign keys (and their cascades) on."""
    if db.kind == "postgresql":
        return rows(db, sql, *params)
    with closing(sqlite3.connect(db.path)) as conn, conn:
        conn.execute("PRAGMA foreign_keys = ON")
        return conn.execute(sql.replace("%s", "?"), params).fetchall()


def koito_saves(db: Database, table: str, columns: str, values: tuple[Any, ...]) -> int:
    """One of Koito's inserts: the id from the table's own sequence (PostgreSQL) or SQLite's
    highest id plus one."""
    marks = ", ".join("%s" for _ in values)
    if db.kind == "postgresql":
        return int(
            rows(db, f"INSERT INTO {table} {columns} VALUES ({marks}) RETURNING id", *values)[0][0]
        )
    rows(db, f"INSERT INTO {table} {columns} VALUES ({marks})", *values)
    return int(value(db, f"SELECT max(id) FROM {table}"))


def test_an_id_sqlite_gives_again_is_not_the_runs(any_db: Database, tmp_path: Path) -> None:
    """Issue 22, suspected: Koito deletes run 1's newest artist, album and track (so each had
    the highest id), then creates an artist, an album with no track yet and a track: on SQLite
    they take those ids again. Undoing run 1 must leave Koito's three, and not count them."""
    import_files(any_db, "maloja", maloja(tmp_path / "a.json", *A))
    for table, alias in (("artist", "Solo"), ("release", "Only A"), ("track", "Only A")):
        gone = f"SELECT {table}_id FROM {table}_aliases WHERE alias = %s"
        koito(any_db, f"DELETE FROM {table}s WHERE id IN ({gone}) RETURNING 1", alias)
    artist = koito_saves(any_db, "artists", "(musicbrainz_id)", (None,))
    release = koito_saves(any_db, "releases", "(various_artists)", (False,))
    for table, id_, alias in (("artist", artist, "Koito Artist"), ("release", release, "Empty")):
        koito(
            any_db,
            f"INSERT INTO {table}_aliases ({table}_id, alias, source, is_primary)"
            " VALUES (%s, %s, 'Canonical', true) RETURNING 1",
            id_,
            alias,
        )
    koito(any_db, "INSERT INTO artist_releases VALUES (%s, %s, true) RETURNING 1", artist, release)

    result = undo_run(any_db, 1)

    assert (result.listens_removed, result.tracks_removed, result.releases_removed) == (2, 2, 1)
    assert (result.artists_removed, result.tracks_kept, result.releases_kept) == (2, 0, 0)
    assert result.artists_kept == 0
    left = "SELECT alias FROM {0}_aliases a JOIN {0}s x ON x.id = a.{0}_id"
    assert rows(any_db, left.format("artist")) == [("Koito Artist",)]
    assert rows(any_db, left.format("release")) == [("Empty",)]
