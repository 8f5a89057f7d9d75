"""The benchmark's results: one row per bar (figure, pass or miss, floor), and the same as
JSON."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from bench.bars import Outcome


def bars_table(outcomes: list[Outcome], repeat: int) -> Table:
    table = Table(
        title=f"koito-import against the bars of SPEC §7 (best of {repeat} runs; median beside)",
        title_justify="left",
    )
    for name in ("bar", "best s", "median s", "peak MB", "limit", "", "floor s", "× floor"):
        table.add_column(name, justify="left" if name in ("bar", "limit", "") else "right")
    table.add_column("floor is")
    for o in outcomes:
        table.add_row(*_cells(o))
    return table


def _cells(o: Outcome) -> list[str]:
    best, floor = o.best, o.floor_s
    limit = f"≤ {o.bar.limit_s:g} s" + (f", ≤ {o.bar.limit_mb:g} MB" if o.bar.limit_mb else "")
    verdict = "[green]pass" if o.passed else "[red]miss"
    if o.problem:
        verdict = f"[red]WRONG: {o.problem}"
    return [
        o.bar.name,
        f"{best.wall_s:.2f}" if best else "-",
        f"{o.median_s:.2f}" if o.median_s is not None else "-",
        f"{o.peak_mb:.0f}",
        limit,
        verdict,
        f"{floor:.2f}" if floor is not None else "-",
        f"{best.wall_s / floor:.1f}" if best and floor else "-",
        o.floor_says,
    ]


def results_json(outcomes: list[Outcome], repeat: int) -> dict[str, Any]:
    return {
        "repeat": repeat,
        "bars": [
            {
                "bar": o.bar.name,
                "limit_s": o.bar.limit_s,
                "limit_mb": o.bar.limit_mb,
                "runs_s": [round(r.wall_s, 3) for r in o.runs],
                "best_s": round(o.best.wall_s, 3) if o.best else None,
                "median_s": round(o.median_s, 3) if o.median_s is not None else None,
                "peak_rss_mb": round(o.peak_mb, 1),
                "floor_s": round(o.floor_s, 3) if o.floor_s is not None else None,
                "floor": o.floor_says,
                "passed": o.passed,
                "problem": o.problem,
                "summaries": [r.summary for r in o.runs],
            }
            for o in outcomes
        ],
    }
