"""How `runs` and `undo` show the ledger in a terminal (their --json forms are the records')."""

from __future__ import annotations

import time
from pathlib import PurePath

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from koito_import.ledger.runs import Run
from koito_import.ledger.undo_steps import Undone


def when(unix: int | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(unix)) if unix is not None else ""


def files(run: Run, at_most: int = 2) -> str:
    names = [PurePath(f.path).name for f in run.files]
    shown = ", ".join(names[:at_most])
    return shown + (f" +{len(names) - at_most}" if len(names) > at_most else "")


HEADER = ("run", "started (UTC)", "source", "status", "listens", "dupl.", "new")
CAPTION = "listens: inserted by the run; new: artists / releases / tracks it created"


def _numbers(run: Run) -> list[str]:
    """The cells of a run's first line, in HEADER's order."""
    return [
        str(run.id),
        when(run.started_at),
        run.source,
        run.status,
        f"{run.inserted:,}",
        f"{run.duplicates:,}",
        f"{run.artists_created:,} / {run.releases_created:,} / {run.tracks_created:,}",
    ]


def _details(run: Run) -> tuple[str, str]:
    """Who the run credited and which koito-import wrote it; then its files."""
    version = f"koito-import {run.version}" if run.version else "version not recorded"
    return f"user {run.user}, {version}", files(run)


def runs_table(runs: list[Run], database: str, width: int) -> Table | RunsInTwoLines:
    """One line per run, the user, the version and the files in columns of their own, when
    that fits `width` whole; else RunsInTwoLines. Nothing is ever cut."""
    rows = [[*_numbers(run), run.user, run.version or "-", files(run)] for run in runs]
    header = (*HEADER, "user", "version", "files")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    if sum(widths) + 2 * (len(widths) - 1) > width:
        return RunsInTwoLines(runs, database)
    table = _table(database, header)
    for row in rows:
        table.add_row(*row)
    return table


class RunsInTwoLines:
    """Two lines per run for a narrow terminal: its numbers, then (indented) its user,
    version and files, and the columns that did not fit the first line (new, then dupl.);
    the files get a third line when they need it."""

    def __init__(self, runs: list[Run], database: str) -> None:
        self.runs = runs
        self.database = database

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        rows = [_numbers(run) for run in self.runs]
        shown = list(range(len(HEADER)))
        while _line_width(rows, shown) > width and len(shown) > 5:
            shown.pop()  # new, then dupl.: they move to the second line
        widths = [max(len(HEADER[i]), *(len(r[i]) for r in rows)) for i in shown]
        yield Text(f"Runs in {self.database}, newest first", style="italic")
        yield Text(_aligned([HEADER[i] for i in shown], widths), style="bold")
        yield Text(("-" if options.ascii_only else "─") * min(width, _line_width(rows, shown)))
        indent = widths[0] + 2
        for run, cells in zip(self.runs, rows, strict=True):
            yield Text(_aligned([cells[i] for i in shown], widths))
            moved = "".join(f", {HEADER[i]} {cells[i]}" for i in range(len(shown), len(HEADER)))
            who, named = _details(run)
            for detail in _wrapped(f"{who}{moved}", named, width - indent, options.ascii_only):
                yield Text(" " * indent + detail, style="dim")
        yield Text(CAPTION, style="dim")


def _wrapped(who: str, named: str, room: int, ascii_only: bool) -> list[str]:
    """`who: files` on one line when it fits, else the files on lines of their own, as many
    names to a line as fit (a name longer than a whole line is cut)."""
    if not named:
        return [who]
    if len(who) + 2 + len(named) <= room:
        return [f"{who}: {named}"]
    lines = [who]
    line = ""
    for name in named.split(", "):
        if line and len(line) + 2 + len(name) > room:
            lines.append(line)
            line = ""
        line = f"{line}, {name}" if line else name
    lines.append(line)
    cut = "..." if ascii_only else "…"
    return [ln if len(ln) <= room else ln[: max(room - len(cut), 1)] + cut for ln in lines]


def _line_width(rows: list[list[str]], shown: list[int]) -> int:
    widths = [max(len(HEADER[i]), *(len(r[i]) for r in rows)) for i in shown]
    return sum(widths) + 2 * (len(widths) - 1)


def _aligned(cells: list[str], widths: list[int]) -> str:
    numeric = {0, 4, 5, 6}  # run, listens, dupl., new
    return "  ".join(
        c.rjust(w) if i in numeric else c.ljust(w)
        for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    ).rstrip()


def _table(database: str, header: tuple[str, ...]) -> Table:
    table = Table(
        title=f"Runs in {database}, newest first",
        caption=CAPTION,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    for name in header:
        numeric = name in ("run", "listens", "dupl.", "new")
        table.add_column(name, justify="right" if numeric else "left", no_wrap=True)
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
