"""`koito-import sync listenbrainz|lastfm` against local stand-ins of the services
(tests/service_fakes.py, which cites the documentation each follows:
https://listenbrainz.readthedocs.io/en/latest/users/api/core.html and
https://www.last.fm/api/show/user.getRecentTracks), on both back ends: what lands, what a
second sync asks and inserts, pages that shift, skips, runs and undo, dry runs, progress (the
failures: test_sync_failures)."""

from __future__ import annotations

import time

import pytest

from koito_import import __version__
from koito_import.core.dburl import Database
from tests.service_fakes import FakeLastfm, FakeListenBrainz, lastfm_track, lb_listen
from tests.support import cli, rows
from tests.sync_support import (
    DAY,
    MBID,
    NOW,
    fast_retries,
    lastfm_sync,
    lb_history,
    lb_sync,
    listens,
    spans,
    sync_runs,
)


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)


def test_listenbrainz_first_sync_then_a_second_that_fetches_only_the_overlap(
    any_db: Database, fake_listenbrainz: FakeListenBrainz
) -> None:
    fake_listenbrainz.add_listens("alice", lb_history())
    fake_listenbrainz.set_playing_now("alice", lb_listen("Now", "Playing", None))

    first = lb_sync(any_db, fake_listenbrainz)

    assert first.code == 0, first.stderr
    assert (first.summary["inserted"], first.summary["fetched"]) == (3, 3)
    assert first.summary["service"] == "sync:listenbrainz"
    assert first.summary["newest"] is not None and first.summary["run_id"] == 1
    assert [(t, r, c) for _, t, r, c in listens(any_db)] == [
        ("Jóga", "Homogenic", "mpv"),
        ("Roads", "Roads", "test player"),
        ("Hoppípolla", "Takk...", "test player"),
    ]
    agents = {r.header("User-Agent") for r in fake_listenbrainz.requests}
    assert len(agents) == 1 and agents.pop().startswith(f"koito-import/{__version__} ")  # type: ignore[union-attr]

    fake_listenbrainz.clear_requests()
    second = lb_sync(any_db, fake_listenbrainz)

    assert second.code == 0, second.stderr
    assert (second.summary["inserted"], second.summary["fetched"]) == (0, 0)
    [page] = fake_listenbrainz.listing_requests
    assert int(page.query["min_ts"]) >= NOW - 14 * DAY - 2  # the overlap, not the history
    assert len(listens(any_db)) == 3
    assert [s[:2] for s in spans(any_db)] == [("listenbrainz", "alice")]


def test_lastfm_first_sync_then_a_second_that_fetches_only_the_overlap(
    any_db: Database, fake_lastfm: FakeLastfm
) -> None:
    fake_lastfm.add_tracks(
        "bob",
        [
            lastfm_track("Björk", "Jóga", NOW - 40 * DAY, album="Homogenic", artist_mbid=MBID),
            lastfm_track("Portishead", "Roads", NOW - 30 * DAY),  # empty album
            lastfm_track("Sigur Rós", "Hoppípolla", NOW - 3 * DAY, album="Takk...", mbid=MBID),
        ],
    )
    fake_lastfm.set_now_playing("bob", lastfm_track("Now", "Playing", None))

    first = lastfm_sync(any_db, fake_lastfm)

    assert first.code == 0, first.stderr
    assert (first.summary["inserted"], first.summary["skipped"]) == (3, 0)  # not now-playing
    assert [t for _, t, _, _ in listens(any_db)] == ["Jóga", "Roads", "Hoppípolla"]
    assert [r for _, _, r, _ in listens(any_db)][1] == "Roads"
    [page] = fake_lastfm.listing_requests
    assert page.query["extended"] == "1" and page.query["limit"] == "200"
    mbids = rows(any_db, "SELECT musicbrainz_id FROM artists WHERE musicbrainz_id IS NOT NULL")
    assert [str(m) for (m,) in mbids] == [MBID]

    fake_lastfm.clear_requests()
    second = lastfm_sync(any_db, fake_lastfm)

    assert second.code == 0, second.stderr
    # The overlap holds the one listen of three days ago: fetched again, inserted never.
    assert (second.summary["fetched"], second.summary["inserted"]) == (1, 0)
    [page] = fake_lastfm.listing_requests
    assert int(page.query["from"]) >= NOW - 14 * DAY - 2
    assert len(listens(any_db)) == 3


def test_pages_shifting_mid_sync_lose_and_double_nothing(
    any_db: Database, fake_lastfm: FakeLastfm
) -> None:
    """New scrobbles arrive after the first page: one newer than the sync's upper bound (the
    next sync's), one late inside the window; newest-first pages shift under the sync."""
    history = [lastfm_track(f"A{i % 7}", f"T{i}", NOW - 30 * DAY - i * 600) for i in range(450)]
    fake_lastfm.add_tracks("bob", history)
    late = lastfm_track("Late", "Arrival", NOW - 30 * DAY - 300 * 600 + 7)  # on page 2
    new_at: list[int] = []

    def arrive(fake: FakeLastfm) -> None:
        new_at.append(int(time.time()) + 1)  # after the sync's upper bound, fixed at its start
        fake.add_tracks("bob", [lastfm_track("New", "Song", new_at[0]), late])

    fake_lastfm.after_request(1, arrive)

    first = lastfm_sync(any_db, fake_lastfm)

    assert first.code == 0, first.stderr
    titles = [t for _, t, _, _ in listens(any_db)]
    assert len(titles) == len(set(titles)) == 451  # the late one in, nothing twice
    assert "Song" not in titles  # after the window's fixed upper bound

    while time.time() <= new_at[0] + 1:  # the next sync's upper bound is past it
        time.sleep(0.1)
    second = lastfm_sync(any_db, fake_lastfm)
    assert second.summary["inserted"] == 1
    assert "Song" in [t for _, t, _, _ in listens(any_db)]


def test_lastfm_answers_a_lone_track_as_an_object(
    any_db: Database, fake_lastfm: FakeLastfm
) -> None:
    fake_lastfm.single_track_as_object = True
    fake_lastfm.add_tracks("bob", [lastfm_track("Björk", "Jóga", NOW - DAY)])
    assert lastfm_sync(any_db, fake_lastfm).summary["inserted"] == 1


def test_a_sync_is_a_run_that_undo_takes_back(
    any_db: Database, fake_listenbrainz: FakeListenBrainz
) -> None:
    fake_listenbrainz.add_listens("alice", lb_history())
    done = lb_sync(any_db, fake_listenbrainz)
    runs = sync_runs(any_db)
    assert '"source":"sync:listenbrainz"' in runs
    assert f'"path":"{fake_listenbrainz.api_url}/1/user/alice"' in runs

    undone = cli("undo", str(done.summary["run_id"]), db=any_db)

    assert undone.returncode == 0, undone.stderr
    assert listens(any_db) == []


def test_a_syncs_entities_are_stamped_as_a_files_are(
    sqlite_db: Database, fake_listenbrainz: FakeListenBrainz
) -> None:
    """SQLite gives ids again: the ledger's claim on each entity a sync created carries the
    digest of its name (ledger.claims), as an import's does, so undo never takes a newcomer."""
    fake_listenbrainz.add_listens("alice", lb_history())
    lb_sync(sqlite_db, fake_listenbrainz)

    claims = rows(sqlite_db, "SELECT kind, name_hash FROM koito_import_run_entities")
    assert {kind for kind, _ in claims} == {"artist", "release", "track"}
    assert all(digest is not None for _, digest in claims)


def test_dry_run_writes_nothing_and_moves_no_span(
    any_db: Database, fake_listenbrainz: FakeListenBrainz
) -> None:
    fake_listenbrainz.add_listens("alice", lb_history())
    lb_sync(any_db, fake_listenbrainz, "--after", str(NOW - 25 * DAY))  # the schema, 1 listen
    before = spans(any_db)

    dry = lb_sync(any_db, fake_listenbrainz, "--dry-run")

    assert dry.code == 0, dry.stderr
    assert (dry.summary["inserted"], dry.summary["run_id"]) == (2, None)
    assert spans(any_db) == before and len(listens(any_db)) == 1


def test_items_the_readers_skip_are_skipped_and_counted_alike(
    any_db: Database, fake_listenbrainz: FakeListenBrainz, fake_lastfm: FakeLastfm
) -> None:
    nameless = lb_listen("Björk", "", NOW - DAY)
    fake_listenbrainz.add_listens("alice", [*lb_history(), nameless])
    fake_lastfm.add_tracks("bob", [lastfm_track("", "Roads", NOW - DAY)])

    lb, fm = lb_sync(any_db, fake_listenbrainz), lastfm_sync(any_db, fake_lastfm)

    assert (lb.summary["inserted"], lb.summary["skip_reasons"]) == (3, {"no track title": 1})
    assert (fm.summary["inserted"], fm.summary["skip_reasons"]) == (0, {"no artist": 1})


def test_progress_says_pages_listens_rate_and_time_to_go() -> None:
    from koito_import.importer.streaming import SyncSummary
    from koito_import.importer.sync_progress import describe_sync

    summary = SyncSummary(inserted=900)
    summary.fetch.pages, summary.fetch.fetched, summary.fetch.total = 5, 1000, 3000

    said = describe_sync(summary, 2.0, eta=True)

    assert said == (
        "page 5, 1,000 listens fetched of about 3,000, 900 new, 500 listens/s, about 4 s to go"
    )
