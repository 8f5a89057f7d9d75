"""`koito-import sync [--config FILE]`: every source of a TOML file, one run each; a source that
fails does not stop the others and the exit code is the first failure's; a file holding a
secret that others can read gets a warning."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from koito_import.core.dburl import Database
from tests.service_fakes import FakeLastfm, FakeListenBrainz, lastfm_track, lb_listen
from tests.support import db_arg
from tests.sync_support import DAY, fast_retries, listens, sync

NOW = int(time.time())


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)


def write_config(path: Path, db: Database, lb: FakeListenBrainz, fm: FakeLastfm, key: str) -> Path:
    path.write_text(
        f'db = "{db_arg(db)}"\noverlap = 7\n\n'
        f'[[source]]\nservice = "lastfm"\nuser = "bob"\napi_url = "{fm.api_url}"\n'
        f'api_key = "{key}"\n\n'
        f'[[source]]\nservice = "listenbrainz"\nuser = "alice"\napi_url = "{lb.api_url}"\n',
        encoding="utf-8",
    )
    return path


def test_one_failing_source_does_not_stop_the_other(
    any_db: Database,
    fake_listenbrainz: FakeListenBrainz,
    fake_lastfm: FakeLastfm,
    tmp_path: Path,
) -> None:
    fake_listenbrainz.add_listens("alice", [lb_listen("Björk", "Jóga", NOW - DAY)])
    fake_lastfm.add_tracks("bob", [lastfm_track("Portishead", "Roads", NOW - DAY)])
    wrong = "wrong-key-0123456789"
    config = write_config(
        tmp_path / "koito-import.toml", any_db, fake_listenbrainz, fake_lastfm, wrong
    )
    config.chmod(0o600)

    done = sync(any_db, "--config", str(config), "--quiet")

    assert done.code == 6
    assert done.stderr.strip().splitlines() == [
        "koito-import: Last.fm: the API key was refused (error 10: Invalid API key - You must "
        "be granted a valid key by last.fm)"
    ]
    summaries = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert [s.split('"service":')[1].split(",")[0] for s in summaries] == [
        '"sync:lastfm"',
        '"sync:listenbrainz"',
    ]
    assert [t for _, t, _, _ in listens(any_db)] == ["Jóga"]
    assert wrong not in done.stdout + done.stderr


def test_a_readable_config_holding_a_secret_is_warned_about(
    sqlite_db: Database,
    fake_listenbrainz: FakeListenBrainz,
    fake_lastfm: FakeLastfm,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_lastfm.add_user("bob")
    fake_listenbrainz.add_user("alice")
    config = write_config(
        tmp_path / "koito-import.toml",
        sqlite_db,
        fake_listenbrainz,
        fake_lastfm,
        fake_lastfm.api_key,
    )
    config.chmod(0o644)
    monkeypatch.setenv("KOITO_CONFIG_DIR", str(tmp_path))  # the default file

    warned = sync(sqlite_db, "--quiet")
    config.chmod(0o600)
    quiet = sync(sqlite_db, "--quiet")

    assert warned.code == quiet.code == 0, warned.stderr
    assert "holds a secret and other users can read it: chmod 600" in warned.stderr
    assert fake_lastfm.api_key not in warned.stderr
    assert quiet.stderr == ""


def test_a_config_file_that_cannot_be_used_is_a_usage_error(
    sqlite_db: Database, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[source]]\nservice = "lastfm"\nuser = "bob"\ncolour = "red"\n')

    done = sync(sqlite_db, "--config", str(bad))

    assert done.code == 2
    assert "unknown setting 'colour'" in done.stderr
