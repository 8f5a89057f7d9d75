"""Real databases for the tests: KOITO_TEST_PG if set, else the local PostgreSQL when it answers,
else a throw-away embedded PostgreSQL started for the session (bench/pgserver.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from bench.pgserver import NoServerError, database_url, postgres_server
from koito_import.core.dburl import Database
from tests.service_fakes import fake_lastfm, fake_listenbrainz  # noqa: F401 (fixtures)

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server URL whose `postgres` role may create databases."""
    try:
        with postgres_server("KOITO_TEST_PG", durable=False) as url:
            yield url
    except NoServerError as exc:
        pytest.fail(str(exc), pytrace=False)


DatabaseFactory = Callable[[str], Database]


@pytest.fixture(autouse=True)
def create_databases(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests import into fresh databases through the command line: let them create those, as
    a script starting from nothing does (KOITO_IMPORT_CREATE=1). The tests of that very rule
    delete the variable."""
    monkeypatch.setenv("KOITO_IMPORT_CREATE", "1")
    # A child `python -m koito_import` started in another folder would otherwise load the
    # package the virtual environment was installed from, which may be another checkout.
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}{os.pathsep}{path}" if path else str(ROOT))


@pytest.fixture
def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseFactory]:
    """Make fresh, empty databases of either kind; PostgreSQL ones are dropped afterwards."""
    created: list[str] = []

    def make(kind: str) -> Database:
        if kind == "sqlite":
            return Database("sqlite", str(tmp_path / f"koito-{uuid.uuid4().hex[:8]}.db"))
        server = request.getfixturevalue("pg_server")
        name = f"koito_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return Database("postgresql", database_url(server, name))

    yield make
    if created:
        server = request.getfixturevalue("pg_server")
        with psycopg.connect(server, autocommit=True) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["postgresql", "sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """Database-level tests run on both back ends."""
    return request.param


@pytest.fixture
def pg_db(fresh_db: DatabaseFactory) -> Database:
    """A fresh, empty PostgreSQL database, dropped after the test."""
    return fresh_db("postgresql")


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    """A path for a fresh SQLite koito.db (the file does not exist yet)."""
    return Database("sqlite", str(tmp_path / "koito.db"))


@pytest.fixture
def any_db(fresh_db: DatabaseFactory, backend: str) -> Database:
    """A fresh database of each kind in turn."""
    return fresh_db(backend)
