"""`--user NAME` checked before anything is created: a name that is no user of the database
ends the run with the users there are, and a new database is left as it was (not created
with Koito's schema and no users)."""

from __future__ import annotations

from koito_import.core.dburl import Database
from koito_import.schema import SchemaStatus
from koito_import.schema.connections import look
from koito_import.store.base import StoreError

SHOWN = 5  # users named in the message


def unknown_user(username: str, database: str, users: list[str]) -> str:
    """The one line for a --user that names nobody, naming who is there."""
    if not users:
        return (
            f"no user {username!r} in {database}: it has no users yet; leave --user out to "
            "create Koito's default user (then add others in Koito)"
        )
    listed = ", ".join(users[:SHOWN]) + (", ..." if len(users) > SHOWN else "")
    return f"no user {username!r} in {database} (its users: {listed})"


def check_user_first(db: Database, username: str | None, current: SchemaStatus) -> None:
    """Raise StoreError when `username` is given and names no user of the database (Koito
    stores names lower-case)."""
    if username is None:
        return
    users: list[str] = []
    if current.state in ("koito", "ready"):
        with look(db) as query:
            users = [row[0] for row in query("SELECT username FROM users ORDER BY id")]
    if username.lower() not in users:
        raise StoreError(unknown_user(username, db.display(), users))
