"""Empty databases for the imports, on PostgreSQL or SQLite."""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Iterator

import psycopg

from bench.pgserver import database_url

_db_counter = itertools.count(1)


@contextlib.contextmanager
def fresh_database(backend: str, server: str) -> Iterator[str]:
    """An empty database for one shape and format, dropped afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="koito_bench_") as tmp:
            yield f"sqlite:///{tmp}/koito.db"
        return
    name = f"koito_bench_{os.getpid()}_{next(_db_counter)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
