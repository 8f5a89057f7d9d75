"""Helpers the database-level tests share: run an import, read rows back on either back end."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest

from koito_import.catalog.artist_names import compile_separators
from koito_import.core.dburl import Database
from koito_import.core.model import Alias
from koito_import.core.summary import Summary
from koito_import.importer.options import ImportOptions
from koito_import.importer.pipeline import run_import
from koito_import.importer.progress import QuietReporter
from koito_import.store.base import BatchWrite, Listen, LookupRow, NewArtist, NewRelease, NewTrack

CLI = [sys.executable, "-m", "koito_import"]
MBID_A = "11111111-1111-1111-1111-111111111111"
MBID_B = "22222222-2222-2222-2222-222222222222"
MBID_R = "33333333-3333-3333-3333-333333333333"
MBID_T = "44444444-4444-4444-4444-444444444444"


def lookup_threads(monkeypatch: pytest.MonkeyPatch, chunk: int) -> set[str]:
    """The names of the threads PostgreSQL look-ups run on, from here on, with `chunk` keys per
    query: the "lookup-*" threads are the --workers."""
    from koito_import.store import postgres

    monkeypatch.setattr(postgres, "CHUNK", chunk)
    threads: set[str] = set()
    query = postgres.PostgresStore._query

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        threads.add(threading.current_thread().name)
        return query(self, *args, **kwargs)

    monkeypatch.setattr(postgres.PostgresStore, "_query", spy)
    return threads


def db_arg(db: Database) -> str:
    """The --db value naming `db`."""
    return db.url if db.kind == "postgresql" else f"sqlite:///{db.path}"


def cli(*args: str | Path, db: Database | str) -> subprocess.CompletedProcess[str]:
    """The command line as cron runs it: a child process, no terminal."""
    target = db if isinstance(db, str) else db_arg(db)
    return subprocess.run(
        [*CLI, *map(str, args), "--db", target], capture_output=True, text=True, timeout=120
    )


def import_files(db: Database, source: str, *paths: Path, **options: Any) -> Summary:
    options.setdefault("separators", compile_separators(None))
    options.setdefault("create", True)  # tests start from fresh databases, as with --create
    opts = ImportOptions(source=source, paths=list(paths), db=db, **options)
    return run_import(opts, QuietReporter())


def rows(db: Database, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run one query; write it with %s placeholders, they become ? on SQLite."""
    if db.kind == "postgresql":
        with psycopg.connect(db.url) as conn:
            return [tuple(r) for r in conn.execute(sql, params).fetchall()]
    with sqlite3.connect(db.path) as conn:
        return conn.execute(sql.replace("%s", "?"), params).fetchall()


def execute(db: Database, sql: str) -> None:
    """Run SQL statements (no parameters) on either back end, committed."""
    if db.kind == "postgresql":
        with psycopg.connect(db.url, autocommit=True) as conn:
            conn.execute(sql)
        return
    conn = sqlite3.connect(db.path)
    try:
        conn.executescript(sql)
    finally:
        conn.close()


def value(db: Database, sql: str, *params: Any) -> Any:
    return rows(db, sql, *params)[0][0]


def listens_per_artist(db: Database) -> dict[str, int]:
    """Listens credited to each artist (by primary name), as Koito's charts count them."""
    return dict(
        rows(
            db,
            """
        SELECT a.name, count(*) FROM listens l
        JOIN artist_tracks at ON at.track_id = l.track_id
        JOIN artists_with_name a ON a.id = at.artist_id
        GROUP BY a.name""",
        )
    )


def catalog(db: Database) -> dict[str, Any]:
    """Everything an import builds, by name rather than id, so two databases compare."""
    return {
        "artists": sorted(rows(db, "SELECT name, musicbrainz_id FROM artists_with_name")),
        "artist_aliases": sorted(
            rows(
                db,
                """SELECT a.name, x.alias, x.source, x.is_primary
            FROM artist_aliases x JOIN artists_with_name a ON a.id = x.artist_id""",
            )
        ),
        "releases": sorted(rows(db, "SELECT title, musicbrainz_id FROM releases_with_title")),
        "release_artists": sorted(
            rows(
                db,
                """SELECT r.title, a.name, ar.is_primary
            FROM artist_releases ar JOIN releases_with_title r ON r.id = ar.release_id
            JOIN artists_with_name a ON a.id = ar.artist_id""",
            )
        ),
        "tracks": sorted(
            rows(
                db,
                """SELECT t.title, r.title, t.duration, t.musicbrainz_id
            FROM tracks_with_title t JOIN releases_with_title r ON r.id = t.release_id""",
            )
        ),
        "track_artists": sorted(
            rows(
                db,
                """SELECT t.title, a.name, at.is_primary
            FROM artist_tracks at JOIN tracks_with_title t ON t.id = at.track_id
            JOIN artists_with_name a ON a.id = at.artist_id""",
            )
        ),
        "listens": sorted(
            rows(
                db,
                """SELECT t.title, l.listened_at, l.client
            FROM listens l JOIN tracks_with_title t ON t.id = l.track_id""",
            )
        ),
    }


# --- store-level batches ----------------------------------------------------------------


def canonical(*names: str) -> list[Alias]:
    """Aliases as the resolver makes them: the first is the primary."""
    return [Alias(n, "Canonical", i == 0) for i, n in enumerate(names)]


def catalogue_batch(user_id: int) -> BatchWrite:
    """Two new artists, a release by both, a track on it, two listens, one lookup."""
    return BatchWrite(
        user_id=user_id,
        artists=[
            NewArtist(canonical("Daft Punk", "ダフト・パンク"), mbid=MBID_A),
            NewArtist(canonical("Pharrell Williams")),
        ],
        releases=[
            NewRelease(
                canonical("Random Access Memories"),
                image="55555555-5555-5555-5555-555555555555",
                image_source="https://img.example/ram.jpg",
                various_artists=True,
            )
        ],
        tracks=[NewTrack(canonical("Get Lucky"), release=-1, duration=369)],
        artist_releases=[(-1, -1, True), (-2, -1, False)],
        artist_tracks=[(-1, -1, True), (-2, -1, False)],
        listens=[
            Listen(track=-1, listened_at=1_700_000_000, client=None),
            Listen(track=-1, listened_at=1_700_000_400, client="maloja"),
        ],
        lookups=[LookupRow("daft punk\x1fget lucky\x1frandom access memories", -1, -1, -1)],
    )
