"""A first sync killed (kill -9) in the middle, then synced again: the database an uninterrupted
sync gives, and the pages committed before the kill are not fetched again. Also the windows a
sync asks for, from the spans of time the ledger says are committed (ledger.cursors)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from koito_import.compare.diff import compare
from koito_import.compare.snapshot import load
from koito_import.core.dburl import Database
from koito_import.ledger.cursors import merged, windows
from tests.conftest import DatabaseFactory
from tests.service_fakes import (
    FakeLastfm,
    FakeListenBrainz,
    synthetic_lastfm_tracks,
    synthetic_lb_listens,
)
from tests.support import cli, db_arg
from tests.sync_support import DAY, fast_retries, listens, sync

PAGE = 200  # Last.fm's page, and the batch size: every page is committed before the next


def test_windows_are_the_gaps_and_the_overlap_newest_first() -> None:
    assert windows([], 0, 100, 10) == [(0, 100)]
    assert windows([(0, 100)], 0, 150, 10) == [(91, 150)]  # overlap below the newest
    # A first sync killed after committing 60..100: the rest of the history, and the overlap.
    assert windows([(60, 100)], 0, 120, 10) == [(91, 120), (0, 59)]
    assert windows([(60, 100)], 0, 120, 50) == [(0, 120)]  # the overlap swallows it all
    assert windows([(0, 10), (20, 30), (50, 100)], 0, 100, 0) == [(31, 49), (11, 19)]
    assert windows([(0, 100)], 40, 100, 0) == []  # --after: nothing older is asked
    assert merged([(5, 9), (0, 4), (20, 30), (25, 40)]) == [(0, 9), (20, 40)]


def test_a_killed_first_sync_resumes_without_fetching_committed_pages(
    fresh_db: DatabaseFactory,
    backend: str,
    fake_lastfm: FakeLastfm,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast_retries(monkeypatch)
    history = synthetic_lastfm_tracks(5 * PAGE)  # newest first, three minutes apart
    fake_lastfm.add_tracks("bob", history)
    db, reference = fresh_db(backend), fresh_db(backend)
    key = ["--api-key", fake_lastfm.api_key]
    args = ["lastfm", "bob", "--api-url", fake_lastfm.api_url, "--batch-size", str(PAGE), *key]

    killed_after(fake_lastfm, 3, [*args, "--db", db_arg(db)])
    committed = [at for at, *_ in listens(db)]
    # A page asks again for the last second of the one before, so batches of 200 end a little
    # after each page: pages 1 and 2 are committed for sure, page 3 not quite.
    assert 2 * PAGE - 2 <= len(committed) < 3 * PAGE

    resumed = sync(db, *args)
    asked = fake_lastfm.listing_requests
    whole = sync(reference, *args)

    assert resumed.code == whole.code == 0, resumed.stderr
    assert resumed.summary["inserted"] == 5 * PAGE - len(committed)
    # Fetched: what was not committed, and the last committed second once more.
    assert resumed.summary["fetched"] <= 5 * PAGE - len(committed) + 1
    for request in asked:  # the overlap (newer than the whole history), then below the rest
        assert int(request.query["to"]) <= min(committed) + 1 or request.query["from"] != "0"
    assert compare(load(reference), load(db)) == []
    statuses = [run["status"] for run in json.loads(cli("runs", "--json", db=db).stdout)]
    assert statuses == ["completed", "interrupted"]  # newest first
    assert whole.summary["inserted"] == 5 * PAGE


def killed_after(fake: FakeListenBrainz | FakeLastfm, pages: int, args: list[str]) -> None:
    """Run `koito-import sync ARGS` in a child process and kill -9 it while it waits for the
    answer to page `pages + 1` (the fake holds that answer until the test ends)."""
    fake.after_request(pages, lambda f: f.slow_next(600, listing_only=True))
    victim = subprocess.Popen(
        [sys.executable, "-m", "koito_import", "sync", *args, "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while len(fake.listing_requests) <= pages and victim.poll() is None:
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL, "the sync ended before it could be killed"
    fake.clear_requests()


def test_a_killed_listenbrainz_sync_resumes_from_its_oldest_pages(
    fresh_db: DatabaseFactory,
    backend: str,
    fake_listenbrainz: FakeListenBrainz,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ListenBrainz is read oldest first: the resumed sync asks from what was committed, less
    the overlap, and never for the older pages again."""
    fast_retries(monkeypatch)
    fake_listenbrainz.add_listens("alice", synthetic_lb_listens(3000, spacing=6 * 3600))
    db, reference = fresh_db(backend), fresh_db(backend)
    args = ["listenbrainz", "alice", "--api-url", fake_listenbrainz.api_url]

    killed_after(fake_listenbrainz, 2, [*args, "--batch-size", "1000", "--db", db_arg(db)])
    committed = [at for at, *_ in listens(db)]
    assert 1000 <= len(committed) < 2000
    resumed = sync(db, *args)
    asked = fake_listenbrainz.listing_requests
    whole = sync(reference, *args)

    assert resumed.code == whole.code == 0, resumed.stderr
    assert resumed.summary["inserted"] == 3000 - len(committed)
    assert all(int(r.query["min_ts"]) >= max(committed) - 14 * DAY - 1 for r in asked)
    assert compare(load(reference), load(db)) == []


def test_a_second_sync_right_after_the_first_asks_one_page_and_inserts_nothing(
    any_db: Database, fake_lastfm: FakeLastfm, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_retries(monkeypatch)
    now = int(time.time())
    fake_lastfm.add_tracks("bob", synthetic_lastfm_tracks(3 * PAGE, newest=now - DAY, spacing=60))
    args = ["lastfm", "bob", "--api-url", fake_lastfm.api_url, "--api-key", fake_lastfm.api_key]
    assert sync(any_db, *args).summary["inserted"] == 3 * PAGE
    fake_lastfm.clear_requests()

    again = sync(any_db, *args)

    # Everything is within the overlap here (a day old): fetched again, inserted never.
    assert (again.summary["inserted"], again.summary["fetched"]) == (0, 3 * PAGE)
    assert len(fake_lastfm.listing_requests) == 4  # three full pages, then an empty one
