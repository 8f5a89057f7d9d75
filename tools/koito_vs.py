"""Koito's own importer against koito-import, on the same input, on one back end.

    python tools/koito_vs.py --koito /path/to/koito --source maloja FILE... \
        [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--work DIR] [--accept all]

Builds the reference database with Koito (tools/koito_reference.py), then a fresh one with
koito-import, then compares them (tools/compare.py). With --pg both are new databases on that
PostgreSQL server; otherwise both are SQLite. Exit status 0 when they are equal.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import koito_reference

from koito_import.compare.accept import RULES, split_accepted
from koito_import.compare.diff import compare
from koito_import.compare.report import render
from koito_import.compare.snapshot import load
from koito_import.core.dburl import parse_database

# The word Koito looks for in a file name, per source.
KOITO_NAMES = {
    "maloja": "maloja",
    "spotify": "Streaming_History_Audio",
    "lastfm": "recenttracks",
    "listenbrainz": "listenbrainz",
    "koito": "koito",
}


def koito_name(source: str, path: Path) -> str:
    word = KOITO_NAMES[source]
    name = path.name if path.is_file() else path.name + ".zip"
    return name if word in name else f"{word}-{name}"


def new_pg_database(server: str, label: str) -> str:
    import psycopg

    name = f"koito_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.rsplit("/", 1)[0] + "/" + name


def run_koito_import(
    source: str, files: list[str], db: str, extra: list[str]
) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "koito_import", source, *files, "--db", db, "--quiet", "--json"]
    cmd.append("--create")  # a new database
    started = time.monotonic()
    out = subprocess.run([*cmd, *extra], capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if out.returncode != 0:
        raise RuntimeError(f"koito-import exited {out.returncode}: {out.stderr.strip()}")
    return elapsed, json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--koito", required=True, help="the Koito server binary")
    parser.add_argument("--source", required=True, choices=sorted(KOITO_NAMES))
    parser.add_argument("--pg", help="a PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/koito-vs"))
    parser.add_argument("--accept", action="append", default=[], choices=[*sorted(RULES), "all"])
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--koito-import-arg", action="append", default=[])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()

    work = args.work / f"{args.source}-{uuid.uuid4().hex[:8]}"
    staged = [f"{f}={koito_name(args.source, f)}" for f in args.files]
    if args.pg:
        ref_db = new_pg_database(args.pg, "ref")
        ours_db = new_pg_database(args.pg, "ours")
    else:
        ref_db = str(work / "koito" / "koito.db")
        ours_db = str(work / "koito-import.db")
    koito_s = koito_reference.run(
        args.koito, work / "koito", staged, ref_db if args.pg else None, sqlite=not args.pg
    )
    files = [str(f) for f in args.files]
    ours_s, summary = run_koito_import(args.source, files, ours_db, args.koito_import_arg)
    print(f"reference (Koito {koito_s:.1f} s): {ref_db}")
    print(f"koito-import ({ours_s:.1f} s): {ours_db}")
    print(
        f"koito-import summary: read={summary['read']} skipped={summary['skipped']} "
        f"inserted={summary['inserted']} reasons={summary.get('skip_reasons')}"
    )
    ref = load(parse_database(ref_db))
    ours = load(parse_database(ours_db))
    rules = sorted(RULES) if "all" in args.accept else args.accept
    kept, accepted = split_accepted(compare(ref, ours), rules, ref, ours)
    print(render(kept, accepted, args.limit))
    return 1 if kept else 0


if __name__ == "__main__":
    raise SystemExit(main())
