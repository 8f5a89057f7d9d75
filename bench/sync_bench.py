"""The closing note of issue 19: a first sync and a re-sync of a 50,000-listen history per
service, into a new SQLite database: ListenBrainz and Last.fm against the local stand-ins
(tests/service_fakes.py) limited to the services' real rates (ListenBrainz: 30 requests per
10 s, told in its X-RateLimit headers; Last.fm: 5 requests a second), Maloja a real server
(tests/maloja_server.py, seeded through `maloja import`). Not a test: numbers to read.

    python -m bench.sync_bench [--listens 50000] [--latency 0.2] [--only lastfm]

Each sync is a child process, `koito-import sync … --json --quiet`, timed by wall clock, its
peak RSS measured by GNU time (/usr/bin/time). The history is spread over the last three years
(one listen every 1,900 s, the newest an hour ago), so a re-sync's 14-day overlap holds some 640
listens.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from tests.maloja_server import MalojaServer, export_scrobble
from tests.service_fakes import (
    FakeLastfm,
    FakeListenBrainz,
    synthetic_lastfm_tracks,
    synthetic_lb_listens,
)

SPACING = 1900
SERVICES = ("listenbrainz", "lastfm", "maloja")
TIME = ("/usr/bin/time", "-f", "%M")  # GNU time: the peak RSS in KB, last on stderr


def child(args: list[str]) -> tuple[dict[str, Any], float, int]:
    """(--json summary, seconds, peak RSS in bytes) of `koito-import ARGS`. The peak is GNU
    time's: a child forked from this process (which holds the stand-ins' histories) would
    start from this process's peak in os.wait4's figure."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as errors:
        done = subprocess.run(
            [*TIME, sys.executable, "-m", "koito_import", *args, "--json", "--quiet"],
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        seconds = time.monotonic() - started
        errors.seek(0)
        said = errors.read().decode()
    if done.returncode:
        raise SystemExit(f"koito-import failed: {said[-2000:]}")
    peak_kb = int(said.strip().splitlines()[-1])
    return orjson.loads(done.stdout.splitlines()[-1]), seconds, peak_kb * 1024


def measure(service: str, n: int, latency: float, folder: Path) -> list[str]:
    newest = int(time.time()) - 3600
    db = f"sqlite:///{folder / f'{service}.db'}"
    if service == "maloja":
        fake: Any = maloja_server(n, newest)
        args = ["sync", "maloja", fake.url]
    elif service == "listenbrainz":
        fake = FakeListenBrainz(latency=latency).start()
        fake.add_listens("alice", synthetic_lb_listens(n, newest=newest, spacing=SPACING))
        args = ["sync", "listenbrainz", "alice", "--api-url", fake.api_url]
    else:
        fake = FakeLastfm(latency=latency).start()
        fake.add_tracks("bob", synthetic_lastfm_tracks(n, newest=newest, spacing=SPACING))
        args = ["sync", "lastfm", "bob", "--api-url", fake.api_url, "--api-key", fake.api_key]
    if service != "maloja":
        fake.rate_limit()  # the service's real limit (Maloja states none)
    lines = []
    try:
        for label in ("first sync", "re-sync"):
            summary, seconds, rss = child([*args, "--db", db])
            fetched = summary["fetched"]
            lines.append(
                f"| {service} | {label} | {summary['requests']:,} ({summary['retries']} retries)"
                f" | {seconds:.1f} s | {fetched:,} fetched, {summary['inserted']:,} inserted"
                f" | {fetched / seconds:,.0f} | {rss / 2**20:.0f} MB |"
            )
    finally:
        fake.stop()
    return lines


def maloja_server(n: int, newest: int) -> MalojaServer:
    """A real Maloja server seeded with `n` scrobbles shaped as the stand-ins' listens."""
    server = MalojaServer()
    server.seed(
        export_scrobble(
            newest - i * SPACING,
            [f"Artist {i % 5000 % 500}"],
            f"Track {i % 5000}",
            album=None if i % 17 == 0 else f"Album {i % 5000 % 1500}",
        )
        for i in range(n)
    )
    return server.start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listens", type=int, default=50_000)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per answer")
    parser.add_argument("--only", choices=SERVICES)
    options = parser.parse_args()
    print("| service | sync | requests | wall | listens | listens/s | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="koito-sync-bench-") as folder:
        for service in SERVICES:
            if options.only in (None, service):
                for line in measure(service, options.listens, options.latency, Path(folder)):
                    print(line, flush=True)


if __name__ == "__main__":
    main()
