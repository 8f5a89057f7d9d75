"""One command in a child process: its wall time, its own peak RSS (from os.wait4), and for
an import its JSON summary."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench.inputs import Input

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / ".venv" / "bin" / "koito-import"

# Linux copies the parent's peak RSS into a forked child (the mm's high-water mark survives
# fork and exec), so a child of this process, which holds whole parsed files for the floors,
# would report at least our own peak.  A small launcher process starts the import instead and
# reports the import's own rusage from os.wait4, plus a wall time that excludes itself.
LAUNCHER = """
import os, subprocess, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
child = subprocess.Popen(cmd)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - started
child.returncode = os.waitstatus_to_exitcode(status)
with open(report, "w") as f:
    f.write(f"{usage.ru_maxrss} {child.returncode} {wall}")
"""


@dataclass(slots=True)
class RunResult:
    wall_s: float
    peak_rss_mb: float
    exit_code: int
    summary: dict[str, Any]
    error: str = ""


def run_import(source: Input, db_url: str, timeout_s: float, extra: list[str]) -> RunResult:
    """One import in a child process: wall time, its peak RSS, and its JSON summary."""
    # --create: a cold run starts from a missing file or an empty database.
    cmd = [str(CLI), source.fmt, *map(str, source.files), "--db", db_url, "--json", "--quiet"]
    cmd.append("--create")
    return run_command([*cmd, *extra], timeout_s)


def run_command(cmd: list[str], timeout_s: float) -> RunResult:
    """`cmd` in a child process: wall time, peak RSS, and the JSON object it prints last."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "rusage"
        stdout, stderr = _launch(cmd, report, Path(tmp), timeout_s)
        if not report.exists():
            return RunResult(0.0, 0.0, -1, {}, f"killed after {timeout_s:g} s")
        maxrss_kib, code, wall = report.read_text().split()
    result = RunResult(float(wall), int(maxrss_kib) / 1024, int(code), {})
    last = stdout.strip().splitlines()[-1] if stdout.strip() else b""
    if last.startswith(b"{"):
        try:
            result.summary = orjson.loads(last)
        except orjson.JSONDecodeError:
            result.error = "no JSON summary on stdout"
    if result.exit_code != 0:
        result.error = _last_said(stderr) or f"exit status {result.exit_code}"
    return result


def _launch(cmd: list[str], report: Path, tmp: Path, timeout_s: float) -> tuple[bytes, str]:
    """Run `cmd` under the launcher, killed after `timeout_s`; its stdout and stderr."""
    with (tmp / "out").open("w+b") as out, (tmp / "err").open("w+b") as err:
        launcher = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(report), *cmd],
            stdout=out,
            stderr=err,
            cwd=ROOT,
            start_new_session=True,  # so a timeout can stop the import with its launcher
        )
        killer = threading.Timer(timeout_s, os.killpg, (launcher.pid, signal.SIGKILL))
        killer.start()
        launcher.wait()
        killer.cancel()
        out.seek(0)
        err.seek(0)
        return out.read(), err.read().decode(errors="replace")


def _last_said(stderr: str) -> str:
    """Typer draws its usage errors in a box: the last line that says something."""
    lines = [line.strip(" │╭╮╰╯─") for line in stderr.splitlines()]
    said = [line for line in lines if any(c.isalnum() for c in line)]
    return said[-1] if said else ""
