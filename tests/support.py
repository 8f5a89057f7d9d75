"""Helpers the database-level tests share: run an import, read rows back on either back end."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg

from koito_import.catalog.artist_names import compile_separators
from koito_import.dburl import Database
from koito_import.pipeline import ImportOptions, run_import
from koito_import.progress import QuietReporter
from koito_import.summary import Summary

CLI = [sys.executable, "-m", "koito_import"]


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
    opts = ImportOptions(source=source, paths=list(paths), db=db, **options)
    return run_import(opts, QuietReporter())


def rows(db: Database, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run one query; write it with %s placeholders, they become ? on SQLite."""
    if db.kind == "postgresql":
        with psycopg.connect(db.url) as conn:
            return [tuple(r) for r in conn.execute(sql, params).fetchall()]
    with sqlite3.connect(db.path) as conn:
        return conn.execute(sql.replace("%s", "?"), params).fetchall()


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
