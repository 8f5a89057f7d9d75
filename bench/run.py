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
import itertools
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import orjson

from bench.catalog import SEED
from bench.console import console
from bench.databases import fresh_database
from bench.floors import Floors, measure_floors
from bench.generate import FORMATS
from bench.inputs import Input, ensure_input
from bench.measure import CLI, RunResult, run_import
from bench.pgserver import postgres_server
from bench.report import CREATED, Row, floors_table, imports_table, results_json
from bench.shapes import SHAPES, Shape, scale

BACKENDS = ("postgresql", "sqlite")
RUNS = ("cold", "again")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    shapes = [SHAPES[name] for name in args.shapes]
    if args.scale:
        shapes = [scale(shape, args.scale) for shape in shapes]
    if not args.floors_only and not CLI.exists():
        console.print(f"[red]{CLI} not found: pip install -e . first")
        return 2
    with _postgres(args) as args.pg:
        return bench_all(shapes, args)


def _postgres(args: argparse.Namespace) -> AbstractContextManager[str | None]:
    if "postgresql" not in args.backends:
        return nullcontext(None)
    return nullcontext(args.pg) if args.pg else postgres_server("KOITO_BENCH_PG")


def bench_all(shapes: list[Shape], args: argparse.Namespace) -> int:
    rows: list[Row] = []
    all_floors: list[tuple[Input, Floors]] = []
    for shape, fmt in itertools.product(shapes, args.formats):
        source = ensure_input(shape, fmt, args.seed)
        floors = measure_floors(source, args.backends, args.pg)
        all_floors.append((source, floors))
        if not args.floors_only:
            rows += bench_one(source, floors, args)
    console.print(floors_table(all_floors))
    if rows:
        console.print(imports_table(rows))
    if args.json:
        results = results_json(rows, all_floors)
        args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return 1 if any(r.problem for r in rows) else 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    shapes = list(SHAPES)
    parser.add_argument("--shapes", default="seed-49k,library-346k", type=lambda v: _csv(v, shapes))
    parser.add_argument("--formats", default="maloja", type=lambda v: _csv(v, FORMATS))
    parser.add_argument("--backends", default=",".join(BACKENDS), type=lambda v: _csv(v, BACKENDS))
    parser.add_argument("--runs", default=",".join(RUNS), type=lambda v: _csv(v, RUNS))
    parser.add_argument("--scale", type=float, help="shrink or grow every shape (smoke tests)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--pg",
        help="server URL; default KOITO_BENCH_PG, else the local server on 127.0.0.1:5432, "
        "else a throw-away embedded PostgreSQL",
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per import")
    parser.add_argument("--floors-only", action="store_true", help="generate and time floors")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("import_args", nargs="*", help="after --: extra koito-import options")
    return parser.parse_args(argv)


def _csv(value: str, allowed: tuple[str, ...] | list[str]) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in items if v not in allowed]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {', '.join(allowed)}")
    return items


def bench_one(source: Input, floors: Floors, args: argparse.Namespace) -> list[Row]:
    """Every run of one input on every back end, each back end in a fresh database."""
    rows = []
    for backend in args.backends:
        with fresh_database(backend, args.pg) as url:
            for run in args.runs:
                result = run_import(source, url, args.timeout, args.import_args)
                problem = check(run, source, result)
                rows.append(Row(source, backend, run, result, floors.for_backend(backend), problem))
                status = "ok" if not problem else f"WARNING {problem}"
                console.print(
                    f"{source.shape.name} {source.fmt} {backend} {run}: "
                    f"{result.wall_s:.2f} s, {result.peak_rss_mb:.0f} MB, {status}"
                )
    return rows


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


if __name__ == "__main__":
    sys.exit(main())
