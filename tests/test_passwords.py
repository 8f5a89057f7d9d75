"""Nothing of a password is ever shown, whatever characters it holds (issue 22, item 3): a URL
or keyword string libpq would misread is refused before it is used, with a message saying how
to escape it; written as it should be, libpq reads the password exactly."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
from psycopg.conninfo import conninfo_to_dict

from koito_import.core.dburl import Database, DatabaseChoiceError, parse_database
from tests.conftest import FIXTURES
from tests.support import cli

EXPORT = FIXTURES / "maloja" / "export.json"
# Every piece starts with "Pw", so no output may hold "Pw" at all.
PIECES = ["Pw1", "Pw2", "Pw3", "Pw4", "Pw5", "Pw6", "Pw7", "Pw8", "Pw9", "PwA", "PwB", "PwC"]
NASTY = "@&#%/ '\"?=:\\"  # the characters between the pieces
PASSWORDS = [
    "Pw1@Pw2",  # the issue's SEK@RITY
    "Pw1&Pw2",  # ?password=SEK&RITX
    "Pw1&Pw2=Pw3",
    "".join(p + c for p, c in zip(PIECES, NASTY, strict=False)) + "PwC",
    "Pw1/Pw2",
    "Pw1 Pw2",
    "Pw1#Pw2",
    "Pw1%Pw2",
    "Pw1'Pw2",
    'Pw1"Pw2',
    "Pw1?Pw2",
    "Pw1=Pw2",
]


def raw_forms(
    password: str, host: str = "db", port: int = 5432, dbname: str = "koito"
) -> list[str]:
    """The password as a user might paste it, unescaped."""
    return [
        f"postgresql://koito:{password}@{host}:{port}/{dbname}",
        f"postgresql://koito@{host}:{port}/{dbname}?password={password}",
        f"postgresql://koito@{host}:{port}/{dbname}?password={password}&sslmode=disable",
        f"host={host} port={port} dbname={dbname} user=koito password={password}",
        f"password={password} host={host} port={port} dbname={dbname} user=koito",
    ]


def escaped_forms(
    password: str, host: str = "db", port: int = 5432, dbname: str = "koito"
) -> list[str]:
    """The password written as the refusal message says."""
    encoded = quote(password, safe="")
    quoted = password.replace("\\", "\\\\").replace("'", "\\'")
    return [
        f"postgresql://koito:{encoded}@{host}:{port}/{dbname}",
        f"postgresql://koito@{host}:{port}/{dbname}?password={encoded}",
        f"host={host} port={port} dbname={dbname} user=koito password='{quoted}'",
    ]


@pytest.mark.parametrize("password", PASSWORDS)
def test_a_password_libpq_would_misread_is_refused_without_a_piece_of_it(password: str) -> None:
    for value in raw_forms(password):
        try:
            db = parse_database(value)
        except DatabaseChoiceError as refused:
            message = str(refused)
            assert "Pw" not in message, value
            assert "percent-encode" in message or "single quotes" in message, message
            continue
        # Taken: then libpq reads exactly this password, and it is never shown.
        assert conninfo_to_dict(db.url)["password"] == password, value
        assert "Pw" not in db.display()


@pytest.mark.parametrize("password", PASSWORDS)
def test_an_escaped_password_is_read_whole_and_never_shown(password: str) -> None:
    for value in escaped_forms(password):
        db = parse_database(value)

        assert conninfo_to_dict(db.url)["password"] == password, value
        assert "Pw" not in db.display()


def test_the_issues_urls_are_refused_with_how_to_escape() -> None:
    for value in (
        "postgresql://postgres:SEK@RITY@127.0.0.1/db",
        "postgresql://postgres@127.0.0.1/db?password=SEK&RITX",
    ):
        with pytest.raises(DatabaseChoiceError, match="@ as %40, & as %26") as refused:
            parse_database(value)
        assert "SEK" not in str(refused.value) and "RIT" not in str(refused.value)


@pytest.mark.parametrize("password", ["Pw1@Pw2", "Pw1&Pw2", PASSWORDS[3], "Pw1 Pw2"])
def test_no_piece_of_a_password_in_any_output(pg_db: Database, password: str) -> None:
    """Against a real server, through every command that names the database: refused (exit
    4, how to escape), or used, and never a piece shown (the server trusts loopback, so the
    password itself does not matter to it)."""
    parts = urlsplit(pg_db.url)
    where = {"host": parts.hostname or "", "port": parts.port or 5432, "dbname": parts.path[1:]}
    commands = [
        ("db", "upgrade"),
        ("db", "status"),
        ("maloja", EXPORT, "--json"),
        ("maloja", EXPORT, "--dry-run"),
        ("runs",),
        ("report",),
        ("undo", "1", "--dry-run"),
    ]
    for value in raw_forms(password, **where) + escaped_forms(password, **where):
        value = value.replace("koito@", "postgres@").replace("koito:", "postgres:")
        value = value.replace("user=koito", "user=postgres")
        for command in commands:
            done = cli(*command, db=value)

            said = done.stdout + done.stderr
            assert "Pw" not in said, (value, command, said)
            assert "Traceback" not in said
            if done.returncode == 4 and "cannot be used as written" in said:
                assert "percent-encode" in said or "single quotes" in said
            else:
                assert done.returncode == 0, (value, command, said)
