"""Helpers of the sync tests: the command run in-process, and what the database holds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner

from koito_import.cli import app
from koito_import.core.dburl import Database
from tests.support import db_arg, rows

DAY = 86_400


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
