"""Helpers of the sync tests: the command run in-process, and what the database holds."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner

from koito_import.cli import app
from koito_import.core.dburl import Database
from tests.service_fakes import FakeLastfm, FakeListenBrainz, lb_listen
from tests.support import cli, db_arg, rows

DAY = 86_400
NOW = int(time.time())
MBID = "8f1f8f6c-3b4a-4a53-8b5a-1b2a3c4d5e6f"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def summary(self) -> dict[str, Any]:
        """The --json summary (the last line of stdout)."""
        return json.loads(self.stdout.strip().splitlines()[-1])


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff of a few milliseconds: retries are tested, not waited for."""
    monkeypatch.setenv("KOITO_IMPORT_BACKOFF_S", "0.01")
    for name in ("LASTFM_API_KEY", "LISTENBRAINZ_TOKEN", "MALOJA_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def sync(db: Database, *args: str) -> Result:
    """`koito-import sync ARGS --db DB --json`, in this process."""
    runner = CliRunner()
    done = runner.invoke(app, ["sync", *args, "--db", db_arg(db), "--json"], catch_exceptions=False)
    return Result(done.exit_code, done.stdout, done.stderr)


def listens(db: Database) -> list[tuple[Any, ...]]:
    """(listened_at, track title, album title, client), oldest first."""
    at = "extract(epoch FROM l.listened_at)::bigint" if db.kind == "postgresql" else "l.listened_at"
    return rows(
        db,
        f"SELECT {at}, t.title, r.title, l.client FROM listens l"
        " JOIN tracks_with_title t ON t.id = l.track_id"
        " JOIN releases_with_title r ON r.id = t.release_id ORDER BY 1, 2",
    )


def spans(db: Database) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT service, account, low, high FROM koito_import_sync_ranges ORDER BY 3")


def lb_history() -> list[dict[str, Any]]:
    return [
        lb_listen("Björk", "Jóga", NOW - 40 * DAY, album="Homogenic", media_player="mpv"),
        lb_listen("Portishead", "Roads", NOW - 30 * DAY),  # no album: the title stands in
        lb_listen("Sigur Rós", "Hoppípolla", NOW - 20 * DAY, album="Takk...", recording_mbid=MBID),
    ]


def lb_sync(db: Database, fake: FakeListenBrainz, *args: str) -> Result:
    return sync(db, "listenbrainz", "alice", "--api-url", fake.api_url, *args)


def lastfm_sync(db: Database, fake: FakeLastfm, *args: str) -> Result:
    return sync(db, "lastfm", "bob", "--api-url", fake.api_url, "--api-key", fake.api_key, *args)


def sync_runs(db: Database) -> str:
    return cli("runs", "--json", db=db).stdout
