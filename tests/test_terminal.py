"""What the terminal shows while an import runs (issue 21): a progress line that fits 80, 100
and 120 columns with its numbers whole and its bar long, whom a run waits for, and the words
of the summary."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from rich.console import Console

from koito_import import schema
from koito_import.commands.summary import skip_hints, summary_table
from koito_import.core.dburl import Database
from koito_import.core.summary import Summary
from koito_import.importer.progress import RichReporter
from koito_import.importer.progress_line import MIN_BAR, Snapshot, fit
from koito_import.ledger.listing import Ledger
from koito_import.ledger.recorder import RunRecorder
from koito_import.sources.base import ByteCounter
from koito_import.store import open_store
from tests.conftest import FIXTURES
from tests.support import cli

EXPORT = FIXTURES / "maloja" / "export.json"
WIDTHS = (80, 100, 120)
BAR = re.compile(r"━+")

IMPORTING = Snapshot("importing", 35_000, 346_631, elapsed_s=3.6, new=26_612)
MILLION = Snapshot("importing", 1_000_000, 1_000_000, elapsed_s=6203, new=999_999)
READING = Snapshot("reading", 12_300_000, 148_000_000, 2.0, counts_bytes=True, items=31_200)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("snapshot", [IMPORTING, MILLION, READING], ids=["35k", "1M", "read"])
def test_the_progress_line_fits_with_a_long_bar_and_whole_numbers(
    width: int, snapshot: Snapshot
) -> None:
    line = fit(snapshot, width).plain

    assert len(line) <= width, line
    assert len(max(BAR.findall(line), key=len)) >= MIN_BAR, line
    assert len(re.findall(r"\d+%", line)) == 1, line  # the percentage, once
    assert "…" not in line
    count = f"{snapshot.done:,}/{snapshot.total:,}"
    assert (count if not snapshot.counts_bytes else "12.3/148.0 MB") in line
    assert re.search(r"/s\b", line)  # the rate
    assert re.search(r"\d:\d\d:\d\d left", line)  # the time left, whole


def test_wider_terminals_show_more_not_less() -> None:
    at = {width: fit(IMPORTING, width).plain for width in WIDTHS}

    assert "0:00:03" not in at[80] and "26,612 new" in at[80]
    assert "26,612 new" in at[100] and "0:00:03" in at[100]
    assert "35,000/346,631 listens" in at[120] and "listens/s" in at[120]


def test_an_ascii_terminal_gets_hashes() -> None:
    line = fit(IMPORTING, 80, ascii_only=True).plain

    assert line.isascii() and "#" in line


@pytest.mark.parametrize("width", WIDTHS)
def test_the_live_reporter_renders_one_fitting_line(width: int) -> None:
    console = Console(file=StringIO(), force_terminal=True, width=width, color_system=None)
    reporter = RichReporter(console, dry_run=True)
    reporter.stage("importing")
    reporter.progress(Summary(read=9, inserted=4), ByteCounter(total=346_631, done=35_000))
    reporter.close()
    shown = Console(file=StringIO(), width=width, color_system=None, record=True)
    shown.print(reporter)

    [line] = shown.export_text().splitlines()
    assert line.startswith("dry run ━") and "35,000/346,631" in line and len(line) <= width
    assert "importing" not in line and ("4 to insert" in line or width == 80)


def test_a_run_waiting_for_the_lock_says_which_run_holds_it(tmp_path: object) -> None:
    db = Database("sqlite", str(tmp_path) + "/koito.db")  # type: ignore[operator]
    schema.upgrade(db)
    holder = open_store(db, workers=1)
    try:
        user = holder.user(None, "admin", "changeme")
        run = RunRecorder.begin(Ledger(holder), "maloja", user.id, user.username, [], (0, 0))
        with holder.import_lock(1):
            result = cli("maloja", EXPORT, "--wait", "0.5", db=db)
    finally:
        holder.close()

    waiting = f"waiting for another import (run {run.run_id}, started "
    assert result.returncode == 5, result.stderr
    assert f"koito-import: {waiting}" in result.stderr
    # While waiting, then in the message giving up.
    assert result.stderr.count(f"(run {run.run_id}, started ") == 2


def summary(**counts: object) -> Summary:
    return Summary(database="SQLite koito.db", user="admin", **counts)  # type: ignore[arg-type]


def shown(table: object) -> str:
    console = Console(file=StringIO(), width=80, color_system=None)
    console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_a_dry_run_summary_says_what_would_be_inserted() -> None:
    text = shown(summary_table(summary(inserted=5, artists_created=2, dry_run=True)))

    assert "listens to insert" in text and "artists to create" in text
    assert "inserted" not in text and "created" not in text


def test_undo_is_offered_only_for_a_run_that_changed_something() -> None:
    changed = shown(summary_table(summary(run_id=7, inserted=1)))
    assert "koito-import undo 7 takes it back" in changed
    nothing = shown(summary_table(summary(run_id=7, duplicates=9)))
    assert "undo 7" not in nothing and "nothing to undo" in nothing


def test_skipped_plays_point_at_min_played() -> None:
    done = summary(skipped=752)
    done.skip_reasons.update({"not played to the end": 752})

    [hint] = skip_hints(done)
    assert "752 plays" in hint and "--min-played 30" in hint


def test_a_dry_run_in_cron_never_says_importing(tmp_path: object) -> None:
    db = Database("sqlite", str(tmp_path) + "/koito.db")  # type: ignore[operator]
    done = cli("maloja", EXPORT, "--dry-run", db=db)

    assert done.returncode == 0, done.stderr
    assert "koito-import: importing" not in done.stderr
    assert "koito-import: rehearsing the import (dry run)" in done.stderr
    assert "listens to insert" in done.stdout and "inserted" not in done.stdout


@pytest.mark.parametrize("width", WIDTHS)
def test_a_real_terminal_sees_progress_lines_that_fit(width: int, tmp_path: object) -> None:
    """The command in a pseudo-terminal of `width` columns: every frame of the progress line
    fits, and those with a bar show it long."""
    import os
    import pty
    import subprocess

    from tests.support import CLI

    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": str(width), "LINES": "40", "TERM": "xterm"}
    db = str(tmp_path) + "/koito.db"  # type: ignore[operator]
    child = subprocess.Popen(
        [*CLI, "maloja", str(EXPORT), "--db", db], stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert child.wait(60) == 0
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode())
    frames = [f for f in re.split(r"[\r\n]", text) if f.startswith(("reading ", "importing "))]
    assert frames, text
    assert all(len(f) <= width for f in frames), frames
    assert all(len(max(BAR.findall(f), key=len)) >= MIN_BAR for f in frames if "%" in f)
