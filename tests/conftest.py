"""Real databases for the tests: the local PostgreSQL when it answers, else a testcontainer."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from koito_import.dburl import Database

LOCAL_SERVER = os.environ.get("KOITO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
FIXTURES = Path(__file__).parent / "fixtures"


def _reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server URL whose `postgres` role may create databases."""
    if _reachable(LOCAL_SERVER):
        yield LOCAL_SERVER
        return
    try:
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:15", driver=None).start()
    except Exception as exc:  # any failure to start Docker means: no server at all
        pytest.fail(f"no PostgreSQL at {LOCAL_SERVER} and no testcontainer: {exc}", pytrace=False)
    try:
        yield container.get_connection_url()
    finally:
        container.stop()


DatabaseFactory = Callable[[str], Database]


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
        return Database("postgresql", server.rsplit("/", 1)[0] + "/" + name)

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
