"""How `runs` and `undo` show the ledger in a terminal (their --json forms are the records')."""

from __future__ import annotations

import time
from pathlib import PurePath

from rich import box
from rich.table import Table

from koito_import.ledger.runs import Run
from koito_import.ledger.undo import Undone


def when(unix: int | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(unix)) if unix is not None else ""


def files(run: Run, at_most: int = 2) -> str:
    names = [PurePath(f.path).name for f in run.files]
    shown = ", ".join(names[:at_most])
    return shown + (f" +{len(names) - at_most}" if len(names) > at_most else "")


def runs_table(runs: list[Run], database: str, width: int) -> Table:
    """Fits `width` by shortening the file names alone, so every number stays whole."""
    header = ("run", "started (UTC)", "source", "user", "files", "status", "listens", "dupl.")
    rows = [
        [
            str(run.id),
            when(run.started_at),
            run.source,
            run.user,
            files(run),
            run.status,
            f"{run.inserted:,}",
            f"{run.duplicates:,}",
            f"{run.artists_created:,} / {run.releases_created:,} / {run.tracks_created:,}",
        ]
        for run in runs
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate((*header, "new"))]
    room = width - (sum(widths) - widths[4]) - 2 * (len(widths) - 1)
    for row in rows:
        if len(row[4]) > max(room, 8):
            row[4] = row[4][: max(room, 8) - 1] + "…"
    table = Table(
        title=f"Runs in {database}, newest first",
        caption="listens: inserted by the run; new: artists / releases / tracks it created",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    for i, name in enumerate((*header, "new")):
        table.add_column(name, justify="left" if 0 < i < 6 else "right", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    return table


def undo_table(result: Undone) -> Table:
    run = result.run
    title = "Dry run: undo would remove (nothing changed)" if result.dry_run else "Undone"
    table = Table(title=title, show_header=False)
    table.add_row("run", f"{run.id}: {run.source}, {files(run)}, {when(run.started_at)} UTC")
    table.add_row("listens removed", f"{result.listens_removed:,}")
    for kind in ("tracks", "releases", "artists"):
        removed = getattr(result, f"{kind}_removed")
        kept = getattr(result, f"{kind}_kept")
        note = f" ({kept:,} kept: still in use)" if kept else ""
        table.add_row(f"{kind} removed", f"{removed:,}{note}")
    return table
