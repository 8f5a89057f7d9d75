"""One line of progress, fitted to the terminal's width.

Numbers are never cut: when the line does not fit, the fields are first shortened (units
left out), then dropped whole, least useful first, so that the bar keeps at least MIN_BAR
cells. The percentage is shown once, beside the bar.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text

MIN_BAR = 18
LEFT_PRIORITY = ("elapsed", "new", "items", "rate", "left")  # dropped in this order


@dataclass(slots=True)
class Snapshot:
    """What the line shows: `done` of `total` (bytes while reading, listens while importing)."""

    label: str
    done: int = 0
    total: int = 0
    elapsed_s: float = 0.0
    measured_s: float | None = None  # elapsed when `done` was counted (default: elapsed_s)
    counts_bytes: bool = False
    items: int | None = None  # reading: items read so far
    new: int | None = None  # importing: listens new so far
    new_word: str = "new"


def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _bytes(done: int, total: int) -> tuple[str, str]:
    """`done/total` in the unit that suits `total` (one unit for both, so they compare)."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if total >= size:
            text = f"{done / size:,.1f}/{total / size:,.1f} {unit}"
            return text, text
    return f"{done:,}/{total:,} bytes", f"{done:,}/{total:,} B"


def _fields(s: Snapshot) -> dict[str, tuple[str, str]]:
    """Each field's (full, short) text, in the order shown after the percentage."""
    # The rate is the counts' own, so it does not fall while a stage waits between them.
    measured = s.elapsed_s if s.measured_s is None else s.measured_s
    rate = s.done / measured if measured > 0 else 0.0
    found: dict[str, tuple[str, str]] = {}
    if s.counts_bytes:
        found["count"] = _bytes(s.done, s.total)
    else:
        pair = f"{s.done:,}/{s.total:,}"
        found["count"] = (f"{pair} listens", pair)
    if s.items is not None:
        found["items"] = (f"{s.items:,} items", f"{s.items:,} items")
    if s.new is not None:
        found["new"] = (f"{s.new:,} {s.new_word}", f"{s.new:,} {s.new_word}")
    if s.counts_bytes:
        found["rate"] = (f"{rate / 1e6:,.1f} MB/s", f"{rate / 1e6:,.1f} MB/s")
    else:
        found["rate"] = (f"{rate:,.0f} listens/s", f"{rate:,.0f}/s")
    found["elapsed"] = (clock(s.elapsed_s), clock(s.elapsed_s))
    left = (s.total - s.done) / rate if rate > 0 and measured >= 1 else None
    if s.done >= s.total:
        left = 0.0
    remaining = f"{clock(left)} left" if left is not None else "-:--:-- left"
    found["left"] = (remaining, remaining)
    return found


def bar(done: int, total: int, width: int, ascii_only: bool) -> Text:
    filled = round(width * min(done, total) / total) if total > 0 else 0
    mark = "#" if ascii_only else "━"
    rest = "-" if ascii_only else "━"
    return Text.assemble((mark * filled, "magenta"), (rest * (width - filled), "grey23"))


def fit(s: Snapshot, width: int, ascii_only: bool = False) -> Text:
    """The line for `s`, at most `width` cells wide."""
    if s.total <= 0:  # nothing to measure: what is going on, and for how long
        return _line([s.label, clock(s.elapsed_s)], None, width, s, ascii_only)
    share = f"{min(100, 100 * s.done // s.total):>3}%"
    fields = _fields(s)
    for variant in (0, 1):
        shown = [text[variant] for text in fields.values()]
        if _room(s.label, share, shown, width) >= MIN_BAR:
            return _line([s.label, share, *shown], share, width, s, ascii_only)
    kept = dict(fields)
    for name in LEFT_PRIORITY:
        kept.pop(name, None)
        shown = [text[1] for text in kept.values()]
        if _room(s.label, share, shown, width) >= MIN_BAR:
            break
    return _line([s.label, share, *shown], share, width, s, ascii_only)


def _room(label: str, share: str, fields: list[str], width: int) -> int:
    """The cells left for the bar: one space between any two parts."""
    parts = [label, share, *fields]
    return width - sum(cell_len(p) for p in parts) - len(parts)


def _line(parts: list[str], share: str | None, width: int, s: Snapshot, ascii_only: bool) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(parts[0], style="bold")
    if share is not None:
        room = _room(parts[0], share, parts[2:], width)
        if room > 0:
            line.append(" ")
            line.append_text(bar(s.done, s.total, room, ascii_only))
    for part in parts[1:]:
        line.append(" " + part)
    line.truncate(width)
    return line
