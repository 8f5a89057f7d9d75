"""Seeded listening histories in the reference shapes of SPEC §7, written as Maloja, Spotify
and ListenBrainz exports.

    python -m bench.generate SHAPE FORMAT OUT [--scale F] [--listens N] [--seed S]

The catalogue is designed in bench.catalog, played over time in bench.history and written by
bench.writers; this module picks the writer and is the command line.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import orjson

from bench.catalog import SEED, build_catalog
from bench.shapes import SHAPES, Shape, scale, with_listens
from bench.writers.listenbrainz import write_listenbrainz
from bench.writers.maloja import write_maloja
from bench.writers.output import WriteStats
from bench.writers.spotify import write_spotify

WRITERS = {"maloja": write_maloja, "spotify": write_spotify, "listenbrainz": write_listenbrainz}
FORMATS = tuple(WRITERS)


def generate(shape: Shape, fmt: str, out: Path, seed: int = SEED) -> WriteStats:
    """Write `shape` in `fmt` to `out` (a file; a directory for spotify)."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return WRITERS[fmt](build_catalog(shape, seed), out, seed)


def resolve_shape(name: str, factor: float | None = None, listens: int | None = None) -> Shape:
    if name not in SHAPES:
        raise SystemExit(f"unknown shape {name!r}; expected one of {', '.join(SHAPES)}")
    shape = SHAPES[name]
    if factor is not None:
        shape = scale(shape, factor)
    if listens is not None:
        shape = with_listens(shape, listens)
    return shape


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("shape", choices=list(SHAPES))
    parser.add_argument("format", choices=FORMATS)
    parser.add_argument("out", type=Path, help="a file (a directory for spotify)")
    parser.add_argument("--scale", type=float, help="multiply every count by this factor")
    parser.add_argument("--listens", type=int, help="listen count, keeping the catalogue")
    parser.add_argument("--seed", type=int, default=SEED)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    shape = resolve_shape(args.shape, args.scale, args.listens)
    started = time.perf_counter()
    stats = generate(shape, args.format, args.out, args.seed)
    elapsed = time.perf_counter() - started
    summary = {
        "shape": dataclasses.asdict(shape),
        "expected": shape.expected(),
        "rows": stats.rows,
        "listens": stats.listens,
        "noise": stats.noise,
        "files": [str(f) for f in stats.files],
        "elapsed_s": round(elapsed, 2),
    }
    sys.stdout.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
