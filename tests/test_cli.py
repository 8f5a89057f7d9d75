"""The command line as a user and cron run it: which database, which user, which listens, what
is printed, and the exit codes (README "Exit codes")."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from koito_import.dburl import Database
from tests.conftest import FIXTURES
from tests.support import cli

EXPORT = FIXTURES / "maloja" / "export.json"
SECRET = "S3cr3t-pw"


def _with_password(url: str) -> str:
    """The URL with a password in its query (the server trusts loopback, so any will do)."""
    return f"{url}{'&' if '?' in url else '?'}password={SECRET}"


def _as_keywords(url: str) -> str:
    parts = urlsplit(url)
    return (
        f"host={parts.hostname} port={parts.port or 5432} dbname={parts.path.lstrip('/')} "
        f"user={parts.username} password='{SECRET} x'"
    )


# --- secrets are never printed -------------------------------------------------------------


@pytest.mark.parametrize("form", [_with_password, _as_keywords], ids=["url query", "keywords"])
def test_no_password_in_messages_summary_json_or_db_commands(pg_db: Database, form) -> None:
    target = form(pg_db.url)

    upgrade = cli("db", "upgrade", db=target)
    status = cli("db", "status", db=target)
    table = cli("maloja", EXPORT, db=target)
    as_json = cli("maloja", EXPORT, "--json", db=target)

    for result in (upgrade, status, table, as_json):
        assert result.returncode == 0, result.stderr
        assert SECRET not in result.stdout + result.stderr
    assert "password=***" in status.stdout and "Ready for imports" in status.stdout
    assert "password=***" in json.loads(as_json.stdout)["database"]


def test_no_password_when_the_server_cannot_be_reached() -> None:
    for target in (
        f"postgresql://koito:{SECRET}@127.0.0.1:1/koito",
        f"postgresql://koito@127.0.0.1:1/koito?password={SECRET}",
        f"host=127.0.0.1 port=1 dbname=koito password={SECRET}",
    ):
        for args in (
            ("maloja", EXPORT, "--json"),
            ("maloja", EXPORT, "--dry-run"),
            ("db", "status"),
        ):
            result = cli(*args, db=target)
            assert result.returncode == 4, result.stderr
            assert "connection failed" in result.stderr
            assert SECRET not in result.stdout + result.stderr
