"""`make bench`: import the reference shapes cold and again, on PostgreSQL and SQLite, beside
the floors of the same run (parsing the file alone; writing the same number of listen rows
with COPY, or one SQLite transaction), and print one table.

    python -m bench.run [--shapes seed-49k,library-346k] [--formats maloja]
                        [--backends postgresql,sqlite] [--runs cold,again] [--json FILE]

Each import is a child process, `koito-import FORMAT FILES --db URL --json --quiet`, timed
by wall clock (so it includes interpreter start-up) with the child's own peak RSS from
os.wait4.  Inputs are generated once into bench/out/, keyed by shape, format, seed and a hash
of the generator's source, so editing the generator never reuses a stale file.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import hashlib
import itertools
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ijson
import orjson
import psycopg
from rich.console import Console
from rich.table import Table

from bench import generate
from bench.generate import FORMATS, SEED, Shape

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
CLI = ROOT / ".venv" / "bin" / "koito-import"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("postgresql", "sqlite")
RUNS = ("cold", "again")
CREATED = ("artists_created", "releases_created", "tracks_created")
# Wide enough for the table when piped (make bench > results.txt); rich assumes 80 otherwise.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)

# ---------------------------------------------------------------- inputs


@dataclass(slots=True)
class Input:
    shape: Shape
    fmt: str
    files: list[Path]
    rows: int
    listens: int
    bytes: int


def _generator_hash() -> str:
    digest = hashlib.sha256()
    for name in ("generate.py", "names.py"):
        digest.update((ROOT / "bench" / name).read_bytes())
    return digest.hexdigest()[:10]


def _input_path(shape: Shape, fmt: str, seed: int) -> Path:
    suffix = {"maloja": ".json", "spotify": "", "listenbrainz": ".zip"}[fmt]
    return OUT / f"{shape.name}.{fmt}.seed{seed}.{_generator_hash()}{suffix}"


def ensure_input(shape: Shape, fmt: str, seed: int = SEED) -> Input:
    """Generate (or reuse) the input; a `.meta.json` beside it marks it complete."""
    path = _input_path(shape, fmt, seed)
    meta = path.with_name(path.name + ".meta.json")
    if not meta.exists():
        _remove_stale(shape, fmt, seed)
        started = time.perf_counter()
        stats = generate.generate(shape, fmt, path, seed)
        elapsed = time.perf_counter() - started
        console.print(f"generated {path.name}: {stats.rows:,} items in {elapsed:.1f} s")
        record = {
            "rows": stats.rows,
            "listens": stats.listens,
            "files": [str(f) for f in stats.files],
        }
        meta.write_bytes(orjson.dumps(record))
    record = orjson.loads(meta.read_bytes())
    files = [Path(f) for f in record["files"]]
    size = sum(f.stat().st_size for f in files)
    return Input(shape, fmt, files, record["rows"], record["listens"], size)


def _remove_stale(shape: Shape, fmt: str, seed: int) -> None:
    """Inputs of an older generator for the same shape and format: hundreds of MB each."""
    for old in OUT.glob(f"{shape.name}.{fmt}.seed{seed}.*"):
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink()


# ---------------------------------------------------------------- floors


@dataclass(slots=True)
class Floors:
    parse_orjson_s: float = 0.0
    parse_ijson_s: float = 0.0
    write_s: dict[str, float] = field(default_factory=dict)  # per back end


def _parse_orjson(source: Input) -> int:
    """The fastest possible read: every document at once (not what a streaming reader does)."""
    if source.fmt == "listenbrainz":
        return sum(1 for _ in _jsonl_lines(source.files[0]))
    count = 0
    for path in source.files:
        document = orjson.loads(path.read_bytes())
        count += len(document["scrobbles"] if source.fmt == "maloja" else document)
    return count


def _parse_ijson(source: Input) -> int:
    """A streaming read, as the importer must do it (constant memory)."""
    if source.fmt == "listenbrainz":
        return sum(1 for _ in _jsonl_lines(source.files[0]))
    prefix = "scrobbles.item" if source.fmt == "maloja" else "item"
    count = 0
    for path in source.files:
        with path.open("rb") as f:
            count += sum(1 for _ in ijson.items(f, prefix, use_float=True))
    return count


def _jsonl_lines(path: Path) -> Iterator[Any]:
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("listens/"):
                with zf.open(name) as entry:
                    for line in entry:
                        yield orjson.loads(line)


def _listen_rows(count: int) -> Iterator[tuple[int, datetime, str, int]]:
    start = generate.START
    for i in range(count):
        yield i % 79_167 + 1, datetime.fromtimestamp(start + i, UTC), "maloja", 1


def copy_floor(server: str, count: int) -> float:
    """COPY `count` listen-shaped rows (with the listens primary key) into a temp table."""
    with psycopg.connect(server) as conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE bench_listens (track_id int, listened_at timestamptz, "
            "client text, user_id int, PRIMARY KEY (track_id, listened_at))"
        )
        started = time.perf_counter()
        with cur.copy("COPY bench_listens FROM STDIN") as copy:
            for row in _listen_rows(count):
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def sqlite_floor(count: int) -> float:
    """The same rows into a WAL SQLite file in one transaction (Koito's SQLite listens shape)."""
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "floor.db")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE listens (track_id INTEGER, listened_at INTEGER, client TEXT NOT NULL "
            "DEFAULT '', user_id INTEGER, PRIMARY KEY (track_id, listened_at))"
        )
        started = time.perf_counter()
        rows = ((i % 79_167 + 1, generate.START + i, "maloja", 1) for i in range(count))
        with conn:
            conn.executemany("INSERT INTO listens VALUES (?, ?, ?, ?)", rows)
        elapsed = time.perf_counter() - started
        conn.close()
        return elapsed


def measure_floors(source: Input, backends: list[str], server: str) -> Floors:
    floors = Floors()
    gc.collect()  # garbage left by generating the input would otherwise be timed as parsing
    started = time.perf_counter()
    parsed = _parse_orjson(source)
    floors.parse_orjson_s = time.perf_counter() - started
    started = time.perf_counter()
    _parse_ijson(source)
    floors.parse_ijson_s = time.perf_counter() - started
    if parsed != source.rows:
        console.print(f"[red]warning: parsed {parsed} items, the generator wrote {source.rows}")
    if "postgresql" in backends:
        floors.write_s["postgresql"] = copy_floor(server, source.listens)
    if "sqlite" in backends:
        floors.write_s["sqlite"] = sqlite_floor(source.listens)
    return floors


# ---------------------------------------------------------------- imports


@dataclass(slots=True)
class RunResult:
    wall_s: float
    peak_rss_mb: float
    exit_code: int
    summary: dict[str, Any]
    error: str = ""


# Linux copies the parent's peak RSS into a forked child (the mm's high-water mark survives
# fork and exec), so a child of this process, which holds whole parsed files for the floors,
# would report at least our own peak.  A small launcher process starts the import instead and
# reports the import's own rusage from os.wait4, plus a wall time that excludes itself.
LAUNCHER = """
import os, subprocess, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
child = subprocess.Popen(cmd)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - started
child.returncode = os.waitstatus_to_exitcode(status)
with open(report, "w") as f:
    f.write(f"{usage.ru_maxrss} {child.returncode} {wall}")
"""


def run_import(source: Input, db_url: str, timeout_s: float, extra: list[str]) -> RunResult:
    """One import in a child process: wall time, its peak RSS, and its JSON summary."""
    cmd = [str(CLI), source.fmt, *map(str, source.files), "--db", db_url, "--json", "--quiet"]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "rusage"
        with (Path(tmp) / "out").open("w+b") as out, (Path(tmp) / "err").open("w+b") as err:
            launcher = subprocess.Popen(
                [sys.executable, "-c", LAUNCHER, str(report), *cmd, *extra],
                stdout=out,
                stderr=err,
                cwd=ROOT,
                start_new_session=True,  # so a timeout can stop the import with its launcher
            )
            killer = threading.Timer(timeout_s, os.killpg, (launcher.pid, signal.SIGKILL))
            killer.start()
            launcher.wait()
            killer.cancel()
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read().decode(errors="replace")
        if not report.exists():
            return RunResult(0.0, 0.0, -1, {}, f"killed after {timeout_s:g} s")
        maxrss_kib, code, wall = report.read_text().split()
    result = RunResult(float(wall), int(maxrss_kib) / 1024, int(code), {})
    try:
        result.summary = orjson.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else {}
    except orjson.JSONDecodeError:
        result.error = "no JSON summary on stdout"
    if result.exit_code != 0:
        # Typer draws its usage errors in a box: keep the last line that says something.
        lines = [line.strip(" │╭╮╰╯─") for line in stderr.splitlines()]
        said = [line for line in lines if any(c.isalnum() for c in line)]
        result.error = said[-1] if said else f"exit status {result.exit_code}"
    return result


_db_counter = itertools.count(1)


@contextlib.contextmanager
def fresh_database(backend: str, server: str) -> Iterator[str]:
    """An empty database for one shape and format, dropped afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="koito_bench_") as tmp:
            yield f"sqlite:///{tmp}/koito.db"
        return
    name = f"koito_bench_{os.getpid()}_{next(_db_counter)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def check(run: str, source: Input, result: RunResult) -> str:
    """'' when the counts are what the shape promises, else what differs."""
    if result.error:
        return result.error
    want = source.shape.expected()
    if run == "again":
        want = {"inserted": 0, **dict.fromkeys(CREATED, 0), "duplicates": source.listens}
    got = {key: result.summary.get(key) for key in want}
    wrong = [f"{key} {got[key]} != {value}" for key, value in want.items() if got[key] != value]
    return "; ".join(wrong)


# ---------------------------------------------------------------- report


@dataclass(slots=True)
class Row:
    source: Input
    backend: str
    run: str
    result: RunResult
    floor_s: float
    problem: str


def _table(rows: list[Row]) -> Table:
    table = Table(title="koito-import benchmark", title_justify="left")
    for name in ("shape", "format", "backend", "run", "wall s", "tool s", "listens/s"):
        table.add_column(name, justify="right" if name.endswith("s") else "left")
    for name in ("peak RSS MB", "inserted", "artists", "releases", "tracks", "floor s", "× floor"):
        table.add_column(name, justify="right")
    table.add_column("check")
    for row in rows:
        summary, result = row.result.summary, row.result
        table.add_row(
            row.source.shape.name,
            row.source.fmt,
            row.backend,
            row.run,
            f"{result.wall_s:.2f}",
            f"{summary['elapsed_s']:.2f}" if "elapsed_s" in summary else "-",
            f"{row.source.listens / result.wall_s:,.0f}",
            f"{result.peak_rss_mb:.0f}",
            *(f"{summary.get(k, '-'):,}" if k in summary else "-" for k in ("inserted", *CREATED)),
            f"{row.floor_s:.2f}",
            f"{result.wall_s / row.floor_s:.1f}" if row.floor_s else "-",
            "[green]ok" if not row.problem else f"[red]WARNING {row.problem}",
        )
    return table


def _floors_table(floors: list[tuple[Input, Floors]]) -> Table:
    table = Table(title="floors (same run)", title_justify="left")
    for name in ("shape", "format", "items", "MB", "parse orjson s", "parse ijson s"):
        table.add_column(name, justify="left" if name in ("shape", "format") else "right")
    table.add_column("PG COPY s", justify="right")
    table.add_column("SQLite insert s", justify="right")
    for source, floor in floors:
        table.add_row(
            source.shape.name,
            source.fmt,
            f"{source.rows:,}",
            f"{source.bytes / 1e6:.0f}",
            f"{floor.parse_orjson_s:.2f}",
            f"{floor.parse_ijson_s:.2f}",
            *(
                f"{floor.write_s[b]:.2f}" if b in floor.write_s else "-"
                for b in ("postgresql", "sqlite")
            ),
        )
    return table


def _as_json(row: Row) -> dict[str, Any]:
    return {
        "shape": row.source.shape.name,
        "format": row.source.fmt,
        "backend": row.backend,
        "run": row.run,
        "wall_s": round(row.result.wall_s, 3),
        "peak_rss_mb": round(row.result.peak_rss_mb, 1),
        "floor_s": round(row.floor_s, 3),
        "summary": row.result.summary,
        "problem": row.problem,
    }


# ---------------------------------------------------------------- main


def _csv(value: str, allowed: tuple[str, ...] | list[str]) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in items if v not in allowed]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {', '.join(allowed)}")
    return items


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    shapes = list(generate.SHAPES)
    parser.add_argument("--shapes", default="seed-49k,library-346k", type=lambda v: _csv(v, shapes))
    parser.add_argument("--formats", default="maloja", type=lambda v: _csv(v, FORMATS))
    parser.add_argument("--backends", default=",".join(BACKENDS), type=lambda v: _csv(v, BACKENDS))
    parser.add_argument("--runs", default=",".join(RUNS), type=lambda v: _csv(v, RUNS))
    parser.add_argument("--scale", type=float, help="shrink or grow every shape (smoke tests)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--pg", default=os.environ.get("KOITO_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per import")
    parser.add_argument("--floors-only", action="store_true", help="generate and time floors")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("import_args", nargs="*", help="after --: extra koito-import options")
    return parser.parse_args(argv)


def _floor_for(floors: Floors, backend: str) -> float:
    return floors.parse_orjson_s + floors.write_s.get(backend, 0.0)


def bench_one(source: Input, floors: Floors, args: argparse.Namespace) -> list[Row]:
    rows = []
    for backend in args.backends:
        with fresh_database(backend, args.pg) as url:
            for run in args.runs:
                result = run_import(source, url, args.timeout, args.import_args)
                problem = check(run, source, result)
                row = Row(source, backend, run, result, _floor_for(floors, backend), problem)
                rows.append(row)
                status = "ok" if not problem else f"WARNING {problem}"
                console.print(
                    f"{source.shape.name} {source.fmt} {backend} {run}: "
                    f"{result.wall_s:.2f} s, {result.peak_rss_mb:.0f} MB, {status}"
                )
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    shapes = [generate.SHAPES[name] for name in args.shapes]
    if args.scale:
        shapes = [generate.scale(shape, args.scale) for shape in shapes]
    if not args.floors_only and not CLI.exists():
        console.print(f"[red]{CLI} not found: pip install -e . first")
        return 2
    rows: list[Row] = []
    all_floors: list[tuple[Input, Floors]] = []
    for shape, fmt in itertools.product(shapes, args.formats):
        source = ensure_input(shape, fmt, args.seed)
        floors = measure_floors(source, args.backends, args.pg)
        all_floors.append((source, floors))
        if not args.floors_only:
            rows += bench_one(source, floors, args)
    console.print(_floors_table(all_floors))
    if rows:
        console.print(_table(rows))
    if args.json:
        results = {"rows": [_as_json(r) for r in rows], "floors": [
            {"shape": s.shape.name, "format": s.fmt, **dataclasses.asdict(f)} for s, f in all_floors
        ]}  # fmt: skip
        args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return 1 if any(r.problem for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
