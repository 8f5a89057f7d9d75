"""How `koito-import sync listenbrainz|lastfm` meets the failures real clients meet, against the
local stand-ins (tests/service_fakes.py; https://listenbrainz.readthedocs.io/en/latest/users/api/
core.html, https://www.last.fm/api/show/user.getRecentTracks and
https://lastfm-docs.github.io/api-docs/codes/): transient ones waited out and retried, permanent
ones ending with exit code 6 in one line that shows no secret."""

from __future__ import annotations

import pytest

from koito_import.core.dburl import Database
from tests.service_fakes import FakeLastfm, FakeListenBrainz, lastfm_track
from tests.support import rows
from tests.sync_support import (
    DAY,
    NOW,
    fast_retries,
    lastfm_sync,
    lb_history,
    lb_sync,
    sync,
    sync_runs,
)


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)


def test_listenbrainz_429_and_500_are_waited_out(
    any_db: Database, fake_listenbrainz: FakeListenBrainz
) -> None:
    fake_listenbrainz.add_listens("alice", lb_history())
    fake_listenbrainz.rate_limited_next(reset_in=0, listing_only=True)
    fake_listenbrainz.server_error_next()
    fake_listenbrainz.html_error_next(status=502)

    done = lb_sync(any_db, fake_listenbrainz)

    assert done.code == 0, done.stderr
    assert (done.summary["inserted"], done.summary["retries"]) == (3, 3)


def test_listenbrainz_rate_limit_headers_are_honoured(
    any_db: Database, fake_listenbrainz: FakeListenBrainz
) -> None:
    """Three requests a window: the sync waits for the window instead of meeting a 429."""
    fake_listenbrainz.add_listens("alice", lb_history())
    fake_listenbrainz.rate_limit(limit=2, window=1)

    done = lb_sync(any_db, fake_listenbrainz)

    assert done.code == 0, done.stderr
    assert all(r.status == 200 for r in fake_listenbrainz.requests)


def test_lastfm_transient_errors_are_retried(any_db: Database, fake_lastfm: FakeLastfm) -> None:
    fake_lastfm.add_tracks("bob", [lastfm_track("Björk", "Jóga", NOW - DAY)])
    fake_lastfm.rate_limited_next()  # error 29
    for code in (8, 11, 16):
        fake_lastfm.error_next(code)
    fake_lastfm.error_next(8, status=200)  # an error sent as a success

    done = lastfm_sync(any_db, fake_lastfm)

    assert done.code == 0, done.stderr
    assert (done.summary["inserted"], done.summary["retries"]) == (1, 5)


def test_a_slow_answer_times_out_and_is_asked_again(
    any_db: Database, fake_listenbrainz: FakeListenBrainz
) -> None:
    fake_listenbrainz.add_listens("alice", lb_history())
    fake_listenbrainz.slow_next(5, listing_only=True)

    done = lb_sync(any_db, fake_listenbrainz, "--timeout", "1")

    assert done.code == 0, done.stderr
    assert (done.summary["inserted"], done.summary["retries"]) == (3, 1)


def test_malformed_json_is_asked_again_then_given_up_with_exit_6(
    any_db: Database, fake_listenbrainz: FakeListenBrainz
) -> None:
    fake_listenbrainz.add_listens("alice", lb_history())
    fake_listenbrainz.malformed_next(listing_only=True)
    assert lb_sync(any_db, fake_listenbrainz).summary["retries"] == 1

    fake_listenbrainz.malformed_next(10, listing_only=True)
    done = lb_sync(any_db, fake_listenbrainz, "--full")

    assert done.code == 6
    [line] = done.stderr.strip().splitlines()[-1:]
    assert line.startswith("koito-import: ListenBrainz:") and "not JSON" in line
    assert "gave up after 5 retries" in line
    assert done.summary["error"] == line.removeprefix("koito-import: ")


def test_unknown_listenbrainz_user_exits_6_in_one_line_writing_nothing(
    any_db: Database, fake_listenbrainz: FakeListenBrainz
) -> None:
    done = sync(any_db, "listenbrainz", "nobody", "--api-url", fake_listenbrainz.api_url, "-q")

    assert done.code == 6
    assert done.stderr.strip().splitlines() == [
        "koito-import: ListenBrainz: no user 'nobody' (Cannot find user: nobody)"
    ]
    if any_db.kind == "sqlite":
        assert not any_db.path.exists()
    else:
        assert rows(any_db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_wrong_token_and_wrong_key_exit_6_and_show_no_secret(
    any_db: Database, fake_listenbrainz: FakeListenBrainz, fake_lastfm: FakeLastfm
) -> None:
    token, key = "lb-token-0123456789", "wrong-key-0123456789"
    fake_listenbrainz.add_user("alice", token="the-right-token")
    fake_lastfm.add_user("bob")

    refused = lb_sync(any_db, fake_listenbrainz, "--token", token, "--debug", "--quiet")
    wrong = sync(any_db, "lastfm", "bob", "--api-url", fake_lastfm.api_url, "--api-key", key)

    assert refused.code == wrong.code == 6
    assert refused.stderr.strip().splitlines() == [
        "koito-import: ListenBrainz: the token was refused (Token invalid.)"
    ]
    assert (
        wrong.stderr.strip()
        .splitlines()[-1]
        .startswith("koito-import: Last.fm: the API key was refused (error 10")
    )
    runs = sync_runs(any_db)
    for text in (refused.stdout, refused.stderr, wrong.stdout, wrong.stderr, runs):
        assert token not in text and key not in text
    assert '"status":"failed"' in runs and "sync:lastfm" in runs


def test_private_or_unknown_lastfm_user_exits_6(any_db: Database, fake_lastfm: FakeLastfm) -> None:
    unknown = lastfm_sync(any_db, fake_lastfm, "--quiet")
    fake_lastfm.add_user("bob", private=True)
    private = lastfm_sync(any_db, fake_lastfm, "--quiet")

    assert unknown.code == private.code == 6
    assert unknown.stderr.startswith("koito-import: Last.fm: no user 'bob' (error 6")
    assert "bob's listening history is private (error 17" in private.stderr
    assert len(unknown.stderr.strip().splitlines()) == len(private.stderr.strip().splitlines()) == 1


def test_debug_tracebacks_mask_the_key(
    sqlite_db: Database, fake_lastfm: FakeLastfm, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected failure under --debug prints its traceback, with every secret masked."""
    from koito_import.importer import streaming

    key = "secret-key-0123456789"

    def broken(*args: object) -> None:
        raise RuntimeError(f"something quoted the key {key}")

    monkeypatch.setattr(streaming, "run_sync", broken)
    done = sync(
        sqlite_db, "lastfm", "bob", "--api-url", fake_lastfm.api_url, "--api-key", key, "--debug"
    )

    assert done.code == 1
    assert (
        "Traceback" in done.stderr and "RuntimeError: something quoted the key ***" in done.stderr
    )
    assert key not in done.stderr + done.stdout
    assert '"exit_code":1' in done.stdout
