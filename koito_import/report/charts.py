"""Drawing a report in the terminal with rich: horizontal bar charts and top lists that read
well at 80 columns, in colour or without (bars are block characters, '#' on an ASCII-only
terminal), and never print a line wider than the console."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from koito_import.core.summary import Summary
from koito_import.report.data import Ranked, Report

MAX_WIDTH = 100  # wider terminals get no longer bars: they would only be harder to compare
MAX_LABEL = 24  # cells for a chart's labels (client names can be long)
EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: int, maximum: int, width: int, ascii_only: bool = False) -> str:
    """A bar of `value / maximum * width` cells, to an eighth of a cell; any value above zero
    shows at least a sliver."""
    if value <= 0 or maximum <= 0:
        return ""
    eighths = max(1, round(value / maximum * width * 8))
    if ascii_only:
        return "#" * max(1, round(eighths / 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[part] if part else "")


def bar_chart(rows: Sequence[tuple[str, int]], width: int, ascii_only: bool = False) -> Text:
    """One line per row: label, count, then a bar proportional to the count; the longest bar
    fills what is left of `width`."""
    out = Text(no_wrap=True, overflow="ellipsis")
    if not rows:
        return out
    label_w = min(MAX_LABEL, max(cell_len(label) for label, _ in rows))
    count_w = max(len(f"{n:,}") for _, n in rows)
    bar_w = max(1, width - label_w - count_w - 2)
    top = max(n for _, n in rows)
    for i, (label, n) in enumerate(rows):
        shown = Text(label)
        shown.truncate(label_w, overflow="ellipsis", pad=True)
        drawn = bar(n, top, bar_w, ascii_only)
        out.append_text(Text.assemble(shown, f" {n:>{count_w},}", (f" {drawn}" if drawn else "")))
        out.stylize("cyan", len(out) - len(drawn), len(out))
        if i < len(rows) - 1:
            out.append("\n")
    return out


def _width(console: Console) -> int:
    return min(console.width, MAX_WIDTH)


def _ascii(console: Console) -> bool:
    return not console.encoding.lower().startswith("utf")


def _when(unix: int | None) -> str:
    if unix is None:
        return "-"
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _section(console: Console, title: str) -> None:
    console.print()
    console.print(Text(title, style="bold"))


def _chart(console: Console, rows: Sequence[tuple[str, int]]) -> None:
    console.print(bar_chart(rows, _width(console), _ascii(console)), soft_wrap=False)


def top_table(kind: str, items: Sequence[Ranked], width: int, credited: bool) -> Table:
    """Rank, name (and the artists, for albums and tracks), listens: names are cut with an
    ellipsis so that the table fits `width`."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    rank_w = len(str(len(items)))
    count_w = max(len("Listens"), *(len(f"{r.listens:,}") for r in items))
    columns = 3 if credited else 2
    # A SIMPLE_HEAD table without edges puts one padded separator between columns: 3 cells.
    free = max(10, width - rank_w - count_w - 3 * columns)
    names = [r.name for r in items]
    credits = [", ".join(r.artists) for r in items]
    if credited:
        name_w, artist_w = _share(free, _widest(kind, names), _widest("Artist", credits))
    else:
        name_w, artist_w = free, 0
    table.add_column("#", justify="right", no_wrap=True, width=rank_w)
    table.add_column(kind, no_wrap=True, overflow="ellipsis", max_width=name_w)
    if credited:
        table.add_column("Artist", no_wrap=True, overflow="ellipsis", max_width=artist_w)
    table.add_column("Listens", justify="right", no_wrap=True, width=count_w)
    for rank, (r, name, credit) in enumerate(zip(items, names, credits, strict=True), 1):
        table.add_row(str(rank), name, *([credit] if credited else []), f"{r.listens:,}")
    return table


def _widest(header: str, cells: Sequence[str]) -> int:
    return max(cell_len(header), *(cell_len(c) for c in cells))


def _share(free: int, first: int, second: int) -> tuple[int, int]:
    """Two columns' widths within `free` cells: as wide as they need when both fit, else the
    narrower keeps up to half and the wider takes the rest."""
    if first + second <= free:
        return first, second
    if first <= second:
        first = min(first, free // 2)
        return first, free - first
    second = min(second, free // 2)
    return free - second, second


def render_report(report: Report, console: Console) -> None:
    """The whole `koito-import report`."""
    who = f"user {report.user}" if report.user else "every user"
    console.print(Text(f"Listening report: {report.database}, {who}", style="bold"))
    window = _window(report)
    if window:
        console.print(window)
    if not report.listens:
        console.print("No listens to report.")
        return
    dot = " | " if _ascii(console) else " · "
    console.print(
        f"{report.listens:,} listens{dot}{report.artists:,} artists{dot}"
        f"{report.albums:,} albums{dot}{report.tracks:,} tracks"
    )
    console.print(
        f"First listen {_when(report.first_listen)}{dot}last listen {_when(report.last_listen)}"
    )
    _section(console, f"Listens per {report.period}")
    _chart(console, report.buckets())
    width = _width(console)
    for kind, items, credited in (
        ("Artist", report.top_artists, False),
        ("Album", report.top_albums, True),
        ("Track", report.top_tracks, True),
    ):
        _section(console, f"Top {kind.lower()}s")
        console.print(top_table(kind, items, width, credited))
    _section(console, "Listens per client")
    _chart(console, [(c or "(none)", n) for c, n in report.clients])


def _window(report: Report) -> str:
    if report.since is None and report.until is None:
        return ""
    since = _when(report.since) if report.since is not None else "the first listen"
    until = _when(report.until) if report.until is not None else "the last listen"
    return f"Listens from {since} to {until}"


def render_landed(report: Report, summary: Summary, console: Console) -> None:
    """The short report below an import's summary table: what this run inserted (per year or
    month, its top artists), then what it skipped and why."""
    verb = "would insert" if summary.dry_run else "inserted"
    _section(console, f"This run {verb} {summary.inserted:,} listens")
    if report.listens:
        console.print(f"Per {report.period}:")
        _chart(console, report.buckets())
    if report.top_artists:
        console.print(f"Its top artists (of {report.artists:,}):")
        console.print(top_table("Artist", report.top_artists, _width(console), False))
    if summary.duplicates:
        console.print(_duplicates(summary.duplicates))
    if summary.skipped:
        _section(console, f"Skipped {summary.skipped:,} of {summary.read:,} items read, because")
        _chart(console, summary.skip_reasons.most_common())


def _duplicates(n: int) -> str:
    """A listen is not new when the database holds it, or the input holds it twice: which of
    the two is not told apart, so the sentence names both."""
    listens = "1 listen was" if n == 1 else f"{n:,} listens were"
    return f"{listens} there already (in the database, or earlier in the input)."
