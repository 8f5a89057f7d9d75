"""The runner's one console, shared by everything that reports progress."""

from __future__ import annotations

import sys

from rich.console import Console

# Wide enough for the table when piped (make bench > results.txt); rich assumes 80 otherwise.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
