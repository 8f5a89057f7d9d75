"""Help screens and plain terminals (issue 21): every command described on one complete line
at 80, 100 and 120 columns, usage lines naming values plainly, and an ASCII-only terminal
that gets `#` bars and ASCII separators instead of a UnicodeEncodeError."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from koito_import.cli import app
from koito_import.commands.helptext import SHORT_HELP
from koito_import.core.dburl import Database
from tests.conftest import FIXTURES
from tests.support import CLI, import_files

WIDTHS = (80, 100, 120)
ROOT = typer.main.get_command(app)
GROUPS = {(): ROOT, ("db",): ROOT.commands["db"]}  # type: ignore[attr-defined]
COMMANDS = [
    [*group, name]
    for group, command in GROUPS.items()
    for name, sub in command.commands.items()  # type: ignore[attr-defined]
    if name != "db"
]


def help_text(*args: str, width: int) -> str:
    done = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": str(width)})
    assert done.exit_code == 0, done.output
    return done.output


@pytest.mark.parametrize("width", WIDTHS)
def test_every_command_is_described_on_one_whole_line(width: int) -> None:
    for group, command in GROUPS.items():
        text = help_text(*group, width=width)
        assert all(len(line) <= width for line in text.splitlines()), text
        for name in command.commands:  # type: ignore[attr-defined]
            line = re.escape(SHORT_HELP[name])
            assert re.search(rf"^  {name} +{line}$", text, re.M), text


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_usage_and_options_name_what_a_value_is(command: list[str]) -> None:
    text = help_text(*command, width=100)

    assert not re.search(r"[{}]|<\w+( range)?>", text), text
    if command[0] in ("maloja", "auto"):
        assert "PATH..." in text and "--db URL" in text and "--wait SECONDS" in text


def test_auto_help_names_the_formats_it_detects() -> None:
    text = help_text("auto", width=80)

    assert "above" not in text
    assert all(name in text for name in ("Maloja", "Spotify", "Last.fm", "ListenBrainz", "Koito"))


def test_an_ascii_terminal_gets_the_report_with_hashes(tmp_path: Path) -> None:
    db = Database("sqlite", str(tmp_path / "koito.db"))
    import_files(db, "maloja", FIXTURES / "maloja" / "export.json")  # Björk, Mötley Crüe…
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "COLUMNS": "80"}

    for command in (["report"], ["maloja", FIXTURES / "maloja" / "export.json"]):
        done = subprocess.run(
            [*CLI, *map(str, command), "--db", str(tmp_path / "koito.db")],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "Error" not in done.stderr and done.stdout.isascii()
    report = subprocess.run(
        [*CLI, "report", "--db", str(tmp_path / "koito.db")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    ).stdout
    assert "9 listens | 8 artists" in report and re.search(r"^2024-03 9 #+$", report, re.M)
