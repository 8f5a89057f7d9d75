"""What every back end does the same way, so the stores cannot drift apart: which user an
import credits, waiting for the import lock, and driver errors as one-line StoreErrors."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol

from koito_import.store.base import LockHeld, StoreError, User


class UserSql(Protocol):
    """A back end's user queries, in its own placeholder style: USER_NAMED and FIRST_ADMIN
    select (id, username), ANY_USER selects a row when any user exists, CREATE_ADMIN inserts
    (username, bcrypt hash) as an admin."""

    USER_NAMED: str
    FIRST_ADMIN: str
    ANY_USER: str
    CREATE_ADMIN: str


def choose_user(
    conn: Any,
    sql: UserSql,
    username: str | None,
    default_username: str,
    default_password: str,
    description: str,
) -> User:
    """The user named (Koito stores names lower-case), else the admin with the lowest id; on a
    database with no users, Koito's default user, created as Koito does at first start.
    `conn` (sqlite3 or psycopg) is inside a transaction the store holds."""

    def named(name: str) -> tuple[int, str] | None:
        return conn.execute(sql.USER_NAMED, (name,)).fetchone()

    if username is not None:
        row = named(username.lower())
        if row is None:
            raise StoreError(f"no user {username!r} in {description}")
        return User(row[0], row[1], created=False)
    row = conn.execute(sql.FIRST_ADMIN).fetchone()
    if row is not None:
        return User(row[0], row[1], created=False)
    if conn.execute(sql.ANY_USER).fetchone() is not None:
        raise StoreError(f"{description} has users but no admin; name one with --user NAME")
    import bcrypt  # only the first import into a database needs it

    name = default_username.lower()
    # Go's bcrypt (Koito's) accepts the $2b$ hashes Python's makes.
    digest = bcrypt.hashpw(default_password.encode(), bcrypt.gensalt(10))
    conn.execute(sql.CREATE_ADMIN, (name, digest))
    created = named(name)
    assert created is not None
    return User(created[0], created[1], created=True)


@contextmanager
def import_lock(
    try_lock: Callable[[], bool],
    unlock: Callable[[], None],
    wait_s: float,
    holder: str,
) -> Iterator[None]:
    """Hold a lock taken by polling `try_lock` for up to `wait_s` seconds; `holder` names
    what is locked, for the LockHeld message."""
    deadline = time.monotonic() + wait_s
    while not try_lock():
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockHeld(
                f"another koito-import is writing to {holder}; "
                "try again later or pass --wait SECONDS"
            )
        time.sleep(min(0.1, left))
    try:
        yield
    except BaseException:
        with suppress(Exception):  # the failure that got here says more than the unlock's
            unlock()
        raise
    unlock()


@dataclass(frozen=True, slots=True)
class DriverErrors:
    """How a driver's exceptions read as StoreErrors."""

    caught: tuple[type[BaseException], ...]  # the driver's errors: the database's problem
    bugs: tuple[type[BaseException], ...] = ()  # misuse of the driver: ours, keep the traceback
    conflicts: tuple[type[BaseException], ...] = ()  # a row written meanwhile by someone else
    locked: Callable[[BaseException], str | None] = lambda exc: None  # a message of its own


@contextmanager
def translated(description: str, driver: DriverErrors, doing: str = "") -> Iterator[None]:
    """Driver errors become one-line StoreErrors naming the database (and what failed:
    `doing` reads "writing to", "reading from"...)."""
    try:
        yield
    except driver.bugs:
        raise
    except driver.caught as exc:
        where = f"{doing} {description} failed" if doing else description
        message = driver.locked(exc) or f"{where}: {one_line(exc)}"
        if isinstance(exc, driver.conflicts):
            message += " (a row was written meanwhile by someone else?); run the import again"
        raise StoreError(message) from exc


def one_line(exc: BaseException) -> str:
    """A driver message's first line (PostgreSQL adds DETAIL and HINT lines)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].strip()
