"""The command line as a user and cron run it: which database, which user, which listens, what
is printed, and the exit codes (README "Exit codes")."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from koito_import import schema
from koito_import.core.dburl import Database
from koito_import.core.times import parse_bound
from tests.conftest import FIXTURES
from tests.support import CLI, cli, execute, rows, value

EXPORT = FIXTURES / "maloja" / "export.json"
# A password with what a URL and a keyword string treat specially; no output may show any of
# its pieces (they all start with "S3c").
SECRET = "S3cr3t@S3cpw&S3c x'S3c"
PIECES = "S3c"


def _with_password(url: str) -> str:
    """The URL with a password in its query, percent-encoded as the README says (the server
    trusts loopback, so any will do)."""
    return f"{url}{'&' if '?' in url else '?'}password={quote(SECRET, safe='')}"


def _as_keywords(url: str) -> str:
    parts = urlsplit(url)
    quoted = SECRET.replace("'", "\\'")
    return (
        f"host={parts.hostname} port={parts.port or 5432} dbname={parts.path.lstrip('/')} "
        f"user={parts.username} password='{quoted}'"
    )


def _pasted_in_user_info(url: str) -> str:
    """The password pasted unescaped: refused before use, never half-used."""
    return url.replace("://postgres@", f"://postgres:{SECRET}@", 1)


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
        assert PIECES not in result.stdout + result.stderr
    assert "password=***" in status.stdout and "Ready for imports" in status.stdout
    assert "password=***" in json.loads(as_json.stdout)["database"]


def test_a_pasted_password_is_refused_and_never_shown(pg_db: Database) -> None:
    target = _pasted_in_user_info(pg_db.url)

    for args in (("db", "status"), ("maloja", EXPORT, "--quiet")):
        result = cli(*args, db=target)
        assert result.returncode == 4, result.stderr
        assert PIECES not in result.stdout + result.stderr
        assert "@ as %40" in result.stderr


def test_no_password_when_the_server_cannot_be_reached() -> None:
    for target in (
        f"postgresql://koito:{quote(SECRET, safe='')}@127.0.0.1:1/koito",
        f"postgresql://koito@127.0.0.1:1/koito?password={quote(SECRET, safe='')}",
        _as_keywords("postgresql://koito@127.0.0.1:1/koito"),
    ):
        for args in (
            ("maloja", EXPORT, "--json"),
            ("maloja", EXPORT, "--dry-run"),
            ("db", "status"),
        ):
            result = cli(*args, db=target)
            assert result.returncode == 4, result.stderr
            assert "connection failed" in result.stderr
            assert PIECES not in result.stdout + result.stderr


# --- which database ------------------------------------------------------------------------


def _run(*args: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command line with no --db: the environment and the directory choose."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KOITO_")}
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**clean, **env},
    )


def test_the_default_database_is_koito_db_in_the_current_directory(tmp_path: Path) -> None:
    result = _run("maloja", EXPORT, "--quiet", cwd=tmp_path, env={})

    assert result.returncode == 0, result.stderr
    assert (
        value(Database("sqlite", str(tmp_path / "koito.db")), "SELECT count(*) FROM listens") == 9
    )


def test_koito_config_dir_holds_the_database(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    result = _run("maloja", EXPORT, cwd=tmp_path, env={"KOITO_CONFIG_DIR": str(config)})

    assert result.returncode == 0, result.stderr
    assert f"Importing into SQLite {config / 'koito.db'}" in result.stderr
    assert value(Database("sqlite", str(config / "koito.db")), "SELECT count(*) FROM listens") == 9
    assert not (tmp_path / "koito.db").exists()


def test_koito_database_url_wins_over_the_config_dir(pg_db: Database, tmp_path: Path) -> None:
    env = {
        "KOITO_DATABASE_URL": pg_db.url,
        "KOITO_CONFIG_DIR": str(tmp_path),
        "KOITO_IMPORT_CREATE": "1",  # a database named by the environment: only when asked
    }
    result = _run("maloja", EXPORT, cwd=tmp_path, env=env)

    assert result.returncode == 0, result.stderr
    assert f"Importing into {pg_db.display()}" in result.stderr
    assert value(pg_db, "SELECT count(*) FROM listens") == 9
    assert not (tmp_path / "koito.db").exists()
    # --db wins over both.
    chosen = tmp_path / "chosen.db"
    assert _run("maloja", EXPORT, "--db", chosen, cwd=tmp_path, env=env).returncode == 0
    assert chosen.exists()


# --- db status and db upgrade --------------------------------------------------------------


def test_db_status_and_upgrade(any_db: Database) -> None:
    before = cli("db", "status", db=any_db)
    upgrade = cli("db", "upgrade", db=any_db)
    after = cli("db", "status", db=any_db)
    again = cli("db", "upgrade", db=any_db)

    assert before.returncode == 4, before.stderr  # not Koito's yet: scripts can tell
    for result in (upgrade, after, again):
        assert result.returncode == 0, result.stderr
    not_yet = "does not exist yet" if any_db.kind == "sqlite" else "is empty"
    assert before.stdout.startswith(f"{any_db.display()} {not_yet}")
    assert "`koito-import db upgrade` (or an import with --create) creates" in before.stdout
    assert f"{any_db.display()}: created Koito's schema" in upgrade.stdout
    assert f"{any_db.display()}: created track_lookup" in upgrade.stdout
    assert "with track_lookup" in after.stdout and "Ready for imports" in after.stdout
    assert again.stdout == f"{any_db.display()}: nothing to do\n"
    assert value(any_db, "SELECT count(*) FROM track_lookup") == 0


def test_db_commands_refuse_a_database_that_is_not_koitos(any_db: Database) -> None:
    execute(any_db, "CREATE TABLE recipes (id integer PRIMARY KEY)")

    status = cli("db", "status", db=any_db)
    upgrade = cli("db", "upgrade", db=any_db)

    assert status.returncode == 4, status.stderr  # it reports, and says so by its exit code
    assert status.stdout.startswith(f"{any_db.display()} cannot be used")
    assert "It is not Koito's database (it has recipes)" in status.stdout
    assert upgrade.returncode == 4
    assert upgrade.stderr.strip() == (
        f"koito-import: {any_db.display()}: it is not Koito's database (it has recipes); "
        "point --db at Koito's database or at an empty one"
    )
    assert sorted(r[0] for r in _tables(any_db)) == ["recipes"]


def _tables(db: Database) -> list[tuple[str]]:
    if db.kind == "sqlite":
        return rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return rows(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")


# --- a PostgreSQL dry run needs a database that is ready ---------------------------------


@pytest.mark.parametrize("state", ["empty", "koito"])
def test_a_postgresql_dry_run_on_a_database_not_ready_changes_nothing(
    pg_db: Database, state: str
) -> None:
    if state == "koito":
        execute(pg_db, (FIXTURES / "schema" / "koito_postgresql.sql").read_text())
    tables = _tables(pg_db)

    result = cli("maloja", EXPORT, "--dry-run", db=pg_db)

    assert result.returncode == 4, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"koito-import: {pg_db.display()} is not ready for imports ({state}); "
        "a dry run changes nothing, so run `koito-import db upgrade` first"
    )
    assert _tables(pg_db) == tables


# --- which user ----------------------------------------------------------------------------


def _users_without_admin(db: Database) -> None:
    schema.upgrade(db)
    execute(
        db,
        "INSERT INTO users (username, role, password) VALUES ('alice', 'user', 'x'), "
        "('bob', 'user', 'x')",
    )


def test_a_database_with_users_but_no_admin_needs_user(any_db: Database) -> None:
    _users_without_admin(any_db)

    default = cli("maloja", EXPORT, db=any_db)
    named = cli("maloja", EXPORT, "--user", "Bob", "--json", db=any_db)

    assert default.returncode == 4
    assert default.stderr.strip().splitlines()[-1] == (
        f"koito-import: {any_db.display()} has users but no admin; name one with --user NAME"
    )
    assert named.returncode == 0, named.stderr
    assert json.loads(named.stdout)["user"] == "bob"
    assert rows(
        any_db,
        "SELECT u.username, count(*) FROM listens l JOIN users u ON u.id = l.user_id "
        "GROUP BY u.username",
    ) == [("bob", 9)]
    assert value(any_db, "SELECT count(*) FROM users") == 2  # no default user created


def test_user_names_an_existing_user(any_db: Database) -> None:
    _users_without_admin(any_db)

    missing = cli("maloja", EXPORT, "--user", "carol", db=any_db)
    empty = cli("maloja", EXPORT, "--user", " ", db=any_db)

    assert missing.returncode == 4
    assert missing.stderr.strip().splitlines()[-1] == (
        f"koito-import: no user 'carol' in {any_db.display()} (its users: alice, bob)"
    )
    assert empty.returncode == 2
    assert "--user needs a user name" in empty.stderr
    assert value(any_db, "SELECT count(*) FROM listens") == 0


def test_user_on_a_new_database_is_refused_before_anything_is_created(any_db: Database) -> None:
    done = cli("maloja", EXPORT, "--user", "alice", db=any_db)

    assert done.returncode == 4
    assert done.stderr.strip().splitlines()[-1] == (
        f"koito-import: no user 'alice' in {any_db.display()}: it has no users yet; leave "
        "--user out to create Koito's default user (then add others in Koito)"
    )
    assert schema.status(any_db).state in ("missing", "empty")  # no schema without users


def test_after_later_than_before_is_a_usage_error() -> None:
    done = cli("maloja", EXPORT, "--after", "2024-05-01", "--before", "2024-01-01", db="x.db")

    assert done.returncode == 2
    assert "--after (2024-05-01T00:00:00Z) is later than --before (2024-01-01T00:00:00Z)" in (
        done.stderr
    )


# --- the time window -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1710000300", 1_710_000_300),
        (" 1710000300 ", 1_710_000_300),
        ("-5", -5),
        ("2024-03-09", 1_709_942_400),
        ("2024-03-09T16:05", 1_710_000_300),
        ("2024-03-09T16:05:00Z", 1_710_000_300),
        ("2024-03-09T17:05:00+01:00", 1_710_000_300),
        ("", None),
        (None, None),
    ],
)
def test_bounds_are_unix_seconds_or_iso_dates_in_utc(text: str | None, seconds: int | None) -> None:
    assert parse_bound(text, "--after") == seconds


def test_a_bound_that_is_no_time_names_the_option() -> None:
    with pytest.raises(ValueError, match=r"--before 'soon': use unix seconds or a date"):
        parse_bound("soon", "--before")


def test_time_window_from_options_and_koito_environment(tmp_path: Path) -> None:
    """The fixture's nine listens run from 1710000000 to 1710003600; the bounds are kept."""
    window = {"KOITO_IMPORT_AFTER_UNIX": "1710000300", "KOITO_IMPORT_BEFORE_UNIX": "1710003000"}

    def imported(*args: str, env: dict[str, str]) -> dict:
        db = tmp_path / f"{uuid.uuid4().hex}.db"
        result = _run(
            "maloja", EXPORT, "--json", "--db", db, "--create", *args, cwd=tmp_path, env=env
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    from_env = imported(env=window)
    from_options = imported("--after", "2024-03-09T16:05", "--before", "1710003000", env={})
    options_win = imported("--after", "0", env=window)

    for summary in (from_env, from_options):
        assert summary["inserted"] == 7
        assert summary["skip_reasons"]["outside --after/--before"] == 2
    assert options_win["skip_reasons"]["outside --after/--before"] == 1


# --- exit code 2: the command line itself is wrong ----------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("maloja", EXPORT, "--after", "last tuesday"),
        ("maloja", EXPORT, "--workers", "0"),
        ("maloja", EXPORT, "--artist-separator", "(unclosed"),
        ("maloja", EXPORT, "--no-such-option"),
        ("maloja",),
        ("soundcloud", EXPORT),
    ],
    ids=[
        "bad --after",
        "--workers 0",
        "bad regex",
        "unknown option",
        "no file",
        "unknown source",
    ],
)
def test_a_wrong_command_line_exits_2_and_changes_nothing(tmp_path: Path, args: tuple) -> None:
    result = _run(*args, cwd=tmp_path, env={})

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "koito.db").exists()
