"""Naming the database: which one is chosen, and how it is shown (never with a secret)."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from koito_import.core.dburl import (
    SECRET_KEYS,
    Database,
    DatabaseChoiceError,
    choose_database,
    parse_database,
    without_secrets,
)

SECRET = "S3cr3t"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (
            f"postgresql://koito:{SECRET}@db.example:5433/koito",
            "postgresql://koito:***@db.example:5433/koito",
        ),
        (
            f"postgresql://koito@db.example/koito?password={SECRET}",
            "postgresql://koito@db.example/koito?password=***",
        ),
        (
            f"postgres://koito@db/koito?sslmode=require&sslpassword={SECRET}&application_name=x",
            "postgres://koito@db/koito?sslmode=require&sslpassword=***&application_name=x",
        ),
        # libpq decodes parameter names too
        (
            f"postgresql://db/koito?user=k&%70assword={SECRET}",
            "postgresql://db/koito?user=k&%70assword=***",
        ),
        # an unescaped "/", "?", "#" or "@" in the password
        (f"postgresql://koito:a/b?c#d@{SECRET}@db/koito", "postgresql://koito:***@db/koito"),
        (f"postgresql://db/koito?password=a@{SECRET}", "postgresql://db/koito?password=***"),
        (
            f"host=db port=5433 dbname=koito user=koito password={SECRET}",
            "host=db port=5433 dbname=koito user=koito password=***",
        ),
        (
            f"host=db password = '{SECRET} with \\' quote' dbname=koito",
            "host=db password = *** dbname=koito",
        ),
        (f"host=db password={SECRET}\\ more user=k", "host=db password=*** user=k"),
        (f"sslpassword={SECRET}  host=db", "sslpassword=***  host=db"),
        ("postgresql://koito@db/koito", "postgresql://koito@db/koito"),
    ],
)
def test_display_hides_every_secret(value: str, shown: str) -> None:
    """Shown hidden, and hidden because it is where libpq reads a secret from: a value libpq
    would read otherwise (the secret landing in the host, the database name or an error) is
    refused before use, with how to escape it and without the secret."""
    assert without_secrets(value) == shown
    try:
        db = parse_database(value)
    except DatabaseChoiceError as refused:
        assert SECRET not in str(refused)
        assert "percent-encode" in str(refused) or "single quotes" in str(refused)
        return
    assert db.kind == "postgresql"
    assert db.display() == f"PostgreSQL {shown}"
    assert SECRET not in db.display()
    read = conninfo_to_dict(db.url)
    assert not [key for key, v in read.items() if SECRET in str(v) and key not in SECRET_KEYS]


def test_a_value_that_names_no_database_is_refused_without_its_secret() -> None:
    for value in (f"mysql://root:{SECRET}@db/x", f"host=db password='{SECRET}", "koito"):
        with pytest.raises(DatabaseChoiceError, match=r"cannot tell|single quotes") as error:
            parse_database(value)
        assert SECRET not in str(error.value)


@pytest.mark.parametrize("password", [f"p%zz{SECRET}", f"p {SECRET}", f"p%00{SECRET}"])
def test_a_url_libpq_would_quote_is_refused_without_its_secret(password: str) -> None:
    """libpq's own message for these quotes the part it cannot decode: the password."""
    for value in (
        f"postgresql://k:{password}@db/koito",
        f"postgresql://k@db/koito?password={password}",
    ):
        with pytest.raises(DatabaseChoiceError, match="percent-encode") as error:
            parse_database(value)
        assert SECRET not in str(error.value)


def test_keyword_string_reaches_sqlalchemy_whole() -> None:
    db = parse_database("host=/run/postgresql dbname='my db' password=a&b")

    assert db.sqlalchemy_url == (
        "postgresql+psycopg:///?host=%2Frun%2Fpostgresql&dbname=my%20db&password=a%26b"
    )


@pytest.mark.parametrize(
    ("value", "kind", "url"),
    [
        ("sqlite:////srv/koito/koito.db", "sqlite", "/srv/koito/koito.db"),
        ("koito.db", "sqlite", "koito.db"),
        ("data/koito.sqlite3", "sqlite", "data/koito.sqlite3"),
        ("postgres://k@db/koito", "postgresql", "postgres://k@db/koito"),
        ("dbname=koito", "postgresql", "dbname=koito"),
    ],
)
def test_parse_database(value: str, kind: str, url: str) -> None:
    assert parse_database(value) == Database(kind, url)  # type: ignore[arg-type]


def test_choice_order_option_then_koito_database_url_then_config_dir_then_default() -> None:
    pg = "postgresql://k@db/koito"
    env = {"KOITO_DATABASE_URL": pg, "KOITO_CONFIG_DIR": "/srv/koito"}

    assert choose_database("other.db", env) == Database("sqlite", "other.db")
    assert choose_database(None, env) == Database("postgresql", pg)
    assert choose_database(None, {**env, "KOITO_DATABASE_URL": ""}) == Database(
        "sqlite", "/srv/koito/koito.db"
    )
    assert choose_database(None, {}) == Database("sqlite", "koito.db")
    assert choose_database(None, {"KOITO_CONFIG_DIR": ""}) == Database("sqlite", "koito.db")


def test_shown_as_names_a_private_copy_as_the_database_copied() -> None:
    real = Database("sqlite", "/srv/koito/koito.db")
    copy = Database("sqlite", "/tmp/x/koito.db", shown_as=real.display())

    assert copy.display() == "SQLite /srv/koito/koito.db"
