"""Start Koito on a database koito-import built and check that its web API reports what the
rows say: all-time stats, top artists / albums / tracks, and the top artist's page.

    python tools/koito_api_check.py --koito /path/to/koito --config-dir DIR [--db URL]
        [--v01]

Without --db Koito uses DIR/koito.db (SQLite). --v01: Koito v0.1.x (SQLite needs
KOITO_SQLITE_ENABLED). Also checks that Koito migrated nothing (goose versions unchanged, no
migration in its log) and that the default user logs in with Koito's default password.
Exit status 0 when everything matches.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from koito_server import KoitoServer

from koito_import.compare.snapshot import Snapshot, load
from koito_import.core.dburl import Database, parse_database

TOP = 10


def goose_versions(db: Database) -> list[int]:
    sql = "SELECT version_id FROM goose_db_version WHERE is_applied ORDER BY id"
    if db.kind == "sqlite":
        with sqlite3.connect(db.path) as conn:
            return [v for (v,) in conn.execute(sql)]
    import psycopg

    with psycopg.connect(db.url) as conn:
        return [v for (v,) in conn.execute(sql)]


def expected(snap: Snapshot) -> dict[str, Any]:
    """The numbers as the rows say them (counted here, not with Koito's queries)."""
    per_track = Counter(x.track for x in snap.listens)
    per_release: Counter[int] = Counter()
    per_artist: Counter[int] = Counter()
    seconds = 0
    for track_id, n in per_track.items():
        track = snap.tracks[track_id]
        per_release[track.release] += n
        for artist_id in track.artists:
            per_artist[artist_id] += n
        seconds += track.duration * n
    return {
        "stats": {
            "listen_count": len(snap.listens),
            "track_count": len(per_track),
            "album_count": len(per_release),
            "artist_count": len(per_artist),
            "minutes_listened": seconds // 60,
        },
        "top_artists": _top(per_artist, lambda i: snap.artists[i].name),
        "top_albums": _top(per_release, lambda i: snap.releases[i].title),
        "top_tracks": _top(per_track, lambda i: snap.tracks[i].title),
        "artist_counts": {snap.artists[i].name: n for i, n in per_artist.items()},
    }


def _top(counts: Counter[int], name: Any) -> list[tuple[str, int]]:
    """The top counts and, for ties at the cut, any of the tied names: compare counts in
    order, and names where the count is unique."""
    return sorted(((name(i), n) for i, n in counts.items()), key=lambda p: (-p[1], p[0]))


def check(koito: KoitoServer, snap: Snapshot) -> list[str]:
    want = expected(snap)
    problems: list[str] = []
    stats = koito.get("/apis/web/v1/stats?period=all_time")
    for key, value in want["stats"].items():
        if stats.get(key) != value:
            problems.append(f"stats {key}: API {stats.get(key)} != rows {value}")
    for kind, path, field in (
        ("top_artists", "top-artists", "name"),
        ("top_albums", "top-albums", "title"),
        ("top_tracks", "top-tracks", "title"),
    ):
        items = _items(koito.get(f"/apis/web/v1/{path}?period=all_time&limit={TOP}"))
        got = [(item[field], item["listen_count"]) for item in items]
        rows = want[kind]
        if [n for _, n in got] != [n for _, n in rows[:TOP]]:
            problems.append(f"{kind} counts: API {got} != rows {rows[:TOP]}")
        rows_named = set(rows)
        for pair in got:
            if pair not in rows_named:
                problems.append(f"{kind}: API {pair} not in the rows")
    top = _items(koito.get(f"/apis/web/v1/top-artists?period=all_time&limit={TOP}"))
    if top:
        page = koito.get(f"/apis/web/v1/artist?id={top[0]['id']}")
        rows_count = want["artist_counts"].get(page["name"])
        if page["listen_count"] != rows_count:
            problems.append(f"artist page {page['name']!r}: {page['listen_count']} != {rows_count}")
    return problems


def _items(page: dict[str, Any]) -> list[dict[str, Any]]:
    """A page of ranked items ({"item": …, "rank": n}) or of plain items."""
    return [entry.get("item", entry) for entry in page["items"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--koito", required=True)
    parser.add_argument("--config-dir", required=True, type=Path)
    parser.add_argument("--db", help="a PostgreSQL URL (default: DIR/koito.db)")
    parser.add_argument("--v01", action="store_true", help="Koito v0.1.x")
    parser.add_argument("--password", default="changeme")
    args = parser.parse_args()
    db = (
        parse_database(args.db)
        if args.db
        else Database("sqlite", str(args.config_dir / "koito.db"))
    )
    before = goose_versions(db)
    snap = load(db)
    sqlite = db.kind == "sqlite" and args.v01
    koito = KoitoServer(args.koito, args.config_dir, args.db, sqlite=sqlite)
    koito.env["KOITO_SKIP_IMPORT"] = "true"
    earlier = len(koito.log())  # the log file may hold earlier runs in this directory
    with koito:
        koito.login("admin", args.password)
        problems = check(koito, snap)
        stats = koito.get("/apis/web/v1/stats?period=all_time")
        top = _items(koito.get("/apis/web/v1/top-artists?period=all_time&limit=3"))
    after = goose_versions(db)
    log = koito.log()[earlier:]
    if after != before:
        problems.append(f"goose versions changed: {before} -> {after}")
    if "OK   " in log or "goose: successfully migrated" in log:
        problems.append("Koito ran a migration (see its log)")
    print(
        json.dumps(
            {
                "stats": stats,
                "top_artists": [(a["name"], a["listen_count"]) for a in top],
                "goose": after,
            },
            ensure_ascii=False,
        )
    )
    for p in problems:
        print("PROBLEM:", p)
    print("API matches the rows" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
