"""Koito receiving listens through its ListenBrainz endpoint while koito-import imports into
the same database (issue 10, "live").

    python tools/koito_live.py --koito /path/to/koito --config-dir DIR [--db URL] [--v01] \
        --source maloja FILE [--rate 3] [--live-file FILE]

Koito starts on the database (SQLite DIR/koito.db, or --db PostgreSQL), a loop on loopback
submits listens at --rate per second with the default user's API key, koito-import imports
FILE meanwhile, and the loop stops when it is done. The live listens are songs of the same
catalogue as the import (the first scrobbles of --live-file, a Maloja export, moved to 2005
so their times are their own), so both sides create the same artists at the same time.
Then: every request answered 2xx, no "database is locked" in Koito's log, every submitted
listen in the database, and no entity twice (same primary name; same title and primary
artist; same title on the same release).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from koito_server import KoitoServer

from koito_import.compare.snapshot import Snapshot, load
from koito_import.core.dburl import Database, parse_database
from koito_import.sources.maloja import to_scrobble

LIVE_EPOCH = 1_104_537_600  # 2005-01-01: before every generated history


def live_songs(path: Path, count: int) -> list[dict[str, Any]]:
    """The first scrobbles of a Maloja export as ListenBrainz track metadata, crediting the
    artists as the Maloja import does (the "main • feature" entries split)."""
    data = json.loads(path.read_text())
    songs = []
    for item in data["scrobbles"][:count]:
        s = to_scrobble(item)
        songs.append(
            {
                "artist_name": s.artist,
                "track_name": s.track,
                "release_name": s.release,
                "additional_info": {"artist_names": s.artist_names},
            }
        )
    return songs


class Submitter(threading.Thread):
    def __init__(self, koito: KoitoServer, key: str, songs: list[dict[str, Any]], rate: float):
        super().__init__(name="submitter", daemon=True)
        self.koito, self.key, self.songs, self.rate = koito, key, songs, rate
        self.stop = threading.Event()
        self.sent: list[tuple[int, str]] = []  # (listened_at, track title)
        self.failures: list[str] = []
        self.slowest_s = 0.0

    def run(self) -> None:
        n = 0
        while not self.stop.is_set() and n < len(self.songs):
            started = time.monotonic()
            meta = dict(self.songs[n])
            when = LIVE_EPOCH + n * 60
            body = {
                "listen_type": "single",
                "payload": [{"listened_at": when, "track_metadata": meta}],
            }
            status, reply = self.koito.request(
                "POST",
                "/apis/listenbrainz/1/submit-listens",
                body,
                headers={"Authorization": f"Token {self.key}"},
            )
            took = time.monotonic() - started
            self.slowest_s = max(self.slowest_s, took)
            if 200 <= status < 300:
                self.sent.append((when, meta["track_name"]))
            else:
                self.failures.append(f"listen {n}: HTTP {status}: {reply}")
            n += 1
            self.stop.wait(max(0.0, 1 / self.rate - took))


def api_key(koito: KoitoServer) -> str:
    koito.login()
    keys = koito.get("/apis/web/v1/user/apikeys")
    return keys[0]["key"]


def duplicates(snap: Snapshot) -> list[str]:
    found: list[str] = []

    def report(kind: str, keys: list[Any]) -> None:
        seen: set[Any] = set()
        for key in keys:
            if key in seen:
                found.append(f"{kind} twice: {key}")
            seen.add(key)

    report("artist", [a.name for a in snap.artists.values()])

    def primary(links: dict[int, bool]) -> tuple[str, ...]:
        return tuple(sorted(snap.artists[i].name for i, p in links.items() if p))

    report("release", [(r.title, primary(r.artists)) for r in snap.releases.values()])
    report("track", [(t.title, t.release) for t in snap.tracks.values()])
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--koito", required=True)
    parser.add_argument("--config-dir", required=True, type=Path)
    parser.add_argument("--db", help="a PostgreSQL URL (default: DIR/koito.db)")
    parser.add_argument("--v01", action="store_true")
    parser.add_argument("--source", required=True)
    parser.add_argument("--rate", type=float, default=3.0, help="listens per second")
    parser.add_argument("--live-file", type=Path, help="a Maloja export (default: FILE)")
    parser.add_argument("--max-listens", type=int, default=5000)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    db = (
        parse_database(args.db)
        if args.db
        else Database("sqlite", str(args.config_dir / "koito.db"))
    )
    target = args.db or f"sqlite:///{db.path}"
    koito = KoitoServer(
        args.koito, args.config_dir, args.db, sqlite=db.kind == "sqlite" and args.v01
    )
    koito.env["KOITO_SKIP_IMPORT"] = "true"
    songs = live_songs(args.live_file or args.files[0], args.max_listens)
    with koito:
        submitter = Submitter(koito, api_key(koito), songs, args.rate)
        submitter.start()
        time.sleep(2)  # a few live listens before the import starts
        started = time.monotonic()
        cmd = [
            sys.executable,
            "-m",
            "koito_import",
            args.source,
            *map(str, args.files),
            "--db",
            target,
            "--json",
            "--quiet",
            "--wait",
            "60",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        import_s = time.monotonic() - started
        time.sleep(2)  # and a few after
        submitter.stop.set()
        submitter.join()
    log = koito.log()
    snap = load(db)
    have = {(x.listened_at, snap.tracks[x.track].title) for x in snap.listens}
    missing = [s for s in submitter.sent if s not in have]
    problems = list(submitter.failures)
    if done.returncode != 0:
        problems.append(f"koito-import exited {done.returncode}: {done.stderr.strip()[-500:]}")
    if "database is locked" in log.lower():
        problems.append("'database is locked' in Koito's log")
    problems += [f"submitted listen missing: {m}" for m in missing]
    problems += duplicates(snap)
    summary = json.loads(done.stdout) if done.returncode == 0 else {}
    print(
        json.dumps(
            {
                "koito_import_s": round(import_s, 1),
                "inserted": summary.get("inserted"),
                "submitted": len(submitter.sent) + len(submitter.failures),
                "accepted": len(submitter.sent),
                "failed": len(submitter.failures),
                "slowest_request_s": round(submitter.slowest_s, 2),
                "listens_in_db": len(snap.listens),
                "artists": len(snap.artists),
                "releases": len(snap.releases),
                "tracks": len(snap.tracks),
            }
        )
    )
    for p in problems[:50]:
        print("PROBLEM:", p)
    print("live run clean" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
