"""`make bench`: measure koito-import against each bar of SPEC §7 (the second round, issue 11)
and print one table: the figure, pass or miss, and the floor beside it.

    python -m bench.run [--repeat N] [--only TEXT] [--pg URL] [--json FILE] [-- OPTIONS]

The bars: `--help`; a no-op re-import of the bundled sample; seed-49k and library-346k, cold
and again, on PostgreSQL and SQLite; a 1,000,000-listen ListenBrainz zip cold on SQLite. Each
import is a child process, `koito-import FORMAT FILES --db URL --json --quiet`, timed by wall
clock (interpreter start-up included) with its own peak RSS from os.wait4. Floors are measured
in the same run: parsing the file with orjson plus writing as many listen rows (COPY, or one
SQLite transaction); for the start-up bars, the bare interpreter's start-up.

Inputs are generated once into bench/out/, keyed by shape, format, seed and a hash of the
generator's source. PostgreSQL is the server named by --pg or KOITO_BENCH_PG, else the local
one on 127.0.0.1:5432, else a throw-away embedded server (bench/pgserver.py). The package is
byte-compiled first, as an installed one is, so that start-up is not spent compiling it.
"""

from __future__ import annotations

import argparse
import compileall
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import orjson

from bench.bars import Settings, backends_needed, measure_all
from bench.catalog import SEED
from bench.console import console
from bench.measure import CLI, ROOT
from bench.pgserver import postgres_server
from bench.report import bars_table, results_json


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not CLI.exists():
        console.print(f"[red]{CLI} not found: pip install -e . first")
        return 2
    for package in ("koito_import", "migrations"):
        compileall.compile_dir(ROOT / package, quiet=1)
    with _postgres(args) as pg:
        settings = Settings(
            repeat=args.repeat,
            pg=pg,
            timeout_s=args.timeout,
            seed=args.seed,
            scale=args.scale,
            only=args.only,
            extra=args.import_args,
            report=lambda line: console.print(line, highlight=False),
        )
        outcomes = list(measure_all(settings))
    console.print(bars_table(outcomes, args.repeat))
    if args.json:
        args.json.write_bytes(
            orjson.dumps(results_json(outcomes, args.repeat), option=orjson.OPT_INDENT_2)
        )
    return 1 if any(o.problem for o in outcomes) else 0


def _postgres(args: argparse.Namespace) -> AbstractContextManager[str | None]:
    if "postgresql" not in backends_needed(args.only):
        return nullcontext(None)
    return nullcontext(args.pg) if args.pg else postgres_server("KOITO_BENCH_PG")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per bar (default 3)")
    parser.add_argument("--only", help="only the bars whose name holds this text")
    parser.add_argument(
        "--pg",
        help="server URL; default KOITO_BENCH_PG, else the local server on 127.0.0.1:5432, "
        "else a throw-away embedded PostgreSQL",
    )
    parser.add_argument("--scale", type=float, help="shrink or grow every shape (smoke tests)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("import_args", nargs="*", help="after --: extra koito-import options")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
