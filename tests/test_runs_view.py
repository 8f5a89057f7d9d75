"""`koito-import runs` read at 80, 100 and 120 columns (issue 21): no number, source or status
cut, the user, the version that wrote each run and its files shown; only file names are cut."""

from __future__ import annotations

import os
import re
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from koito_import.core.dburl import Database
from koito_import.ledger.runs import Run, RunFile
from koito_import.ledger.view import runs_table
from tests.conftest import FIXTURES
from tests.support import CLI, import_files

RUNS = [
    Run(
        5,
        1_764_853_200,
        1_764_853_300,
        "listenbrainz",
        "alice",
        "interrupted",
        inserted=11_234,
        duplicates=26_612,
        artists_created=1_200,
        releases_created=800,
        tracks_created=4_000,
        version="0.1.0",
        files=[
            RunFile("/srv/exports/listenbrainz_alice_1700000000.zip", 1, "a"),
            RunFile("Streaming_History_Audio_2019-2020_3.json", 1, "b"),
            RunFile("c.json", 1, "c"),
        ],
    ),
    Run(4, 1_764_853_000, 1_764_853_100, "lastfm", "admin", "completed", inserted=60),
]


class Terminal(StringIO):
    def __init__(self, encoding: str) -> None:
        super().__init__()
        self.terminal_encoding = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.terminal_encoding


def rendered(width: int, ascii_only: bool = False) -> str:
    file = Terminal("ascii" if ascii_only else "utf-8")
    console = Console(file=file, width=width, color_system=None)
    console.print(runs_table(RUNS, "SQLite /srv/koito/koito.db", width))
    return console.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", [80, 100, 120, 160])
def test_runs_read_whole_at_every_width(width: int) -> None:
    text = rendered(width)

    assert all(len(line) <= width for line in text.splitlines()), text
    for whole in ("11,234", "26,612", "1,200 / 800 / 4,000", "listenbrainz", "interrupted"):
        assert whole in text, (whole, text)
    assert "2025-12-04 13:00" in text and "alice" in text and "0.1.0" in text
    assert "listenbrainz_alice_1700000000.zip" in text and "+1" in text  # files, wrapped


def test_a_run_from_before_versions_were_recorded_says_so() -> None:
    assert "version not recorded" in rendered(80)


def test_runs_on_an_ascii_terminal() -> None:
    assert rendered(80, ascii_only=True).isascii()


def test_runs_command_at_80_columns(tmp_path: Path) -> None:
    db = Database("sqlite", str(tmp_path / "koito.db"))
    import_files(db, "maloja", FIXTURES / "maloja" / "export.json")
    env = {**os.environ, "TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": "80"}
    done = subprocess.run(
        [*CLI, "runs", "--db", str(tmp_path / "koito.db")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    lines = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout).splitlines()
    assert all(len(line) <= 80 for line in lines), done.stdout
    assert any("maloja" in line and "completed" in line for line in lines), done.stdout
    assert any("export.json" in line for line in lines) and "user admin" in "".join(lines)
