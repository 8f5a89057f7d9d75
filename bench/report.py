"""The benchmark's results: the floors table, the imports table, and the same as JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from bench.floors import Floors
from bench.inputs import Input
from bench.measure import RunResult

CREATED = ("artists_created", "releases_created", "tracks_created")


@dataclass(slots=True)
class Row:
    source: Input
    backend: str
    run: str
    result: RunResult
    floor_s: float
    problem: str


def imports_table(rows: list[Row]) -> Table:
    table = Table(title="koito-import benchmark", title_justify="left")
    for name in ("shape", "format", "backend", "run", "wall s", "tool s", "listens/s"):
        table.add_column(name, justify="right" if name.endswith("s") else "left")
    for name in ("peak RSS MB", "inserted", "artists", "releases", "tracks", "floor s", "× floor"):
        table.add_column(name, justify="right")
    table.add_column("check")
    for row in rows:
        table.add_row(*_import_cells(row))
    return table


def _import_cells(row: Row) -> list[str]:
    summary, result = row.result.summary, row.result
    return [
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
    ]


def floors_table(floors: list[tuple[Input, Floors]]) -> Table:
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


def results_json(rows: list[Row], floors: list[tuple[Input, Floors]]) -> dict[str, Any]:
    return {
        "rows": [_row_json(row) for row in rows],
        "floors": [
            {"shape": s.shape.name, "format": s.fmt, **dataclasses.asdict(f)} for s, f in floors
        ],
    }


def _row_json(row: Row) -> dict[str, Any]:
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
