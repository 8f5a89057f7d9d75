"""Which database to write to (SPEC §2): --db, KOITO_DATABASE_URL, else the embedded default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit


class DatabaseChoiceError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Database:
    kind: Literal["postgresql", "sqlite"]
    url: str  # a libpq URL for PostgreSQL, a file path for SQLite

    @property
    def path(self) -> Path:
        return Path(self.url)

    @property
    def sqlalchemy_url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.path.resolve()}"
        return "postgresql+psycopg://" + self.url.split("://", 1)[1]

    def display(self) -> str:
        """The URL without its password, for messages."""
        if self.kind == "sqlite":
            return f"SQLite {self.path}"
        parts = urlsplit(self.url)
        netloc = parts.netloc
        if "@" in netloc and ":" in netloc.split("@", 1)[0]:
            user = netloc.split("@", 1)[0].split(":", 1)[0]
            netloc = f"{user}:***@{netloc.split('@', 1)[1]}"
        return "PostgreSQL " + urlunsplit(parts._replace(netloc=netloc))


def parse_database(value: str) -> Database:
    if value.startswith(("postgresql://", "postgres://")):
        return Database("postgresql", value)
    if value.startswith("sqlite:///"):
        return Database("sqlite", value.removeprefix("sqlite:///"))
    if value.endswith((".db", ".sqlite", ".sqlite3")) and "://" not in value:
        return Database("sqlite", value)
    raise DatabaseChoiceError(
        f"cannot tell which database {value!r} is: use postgresql://user:pass@host/db, "
        "sqlite:///path/koito.db, or a path ending in .db"
    )


def choose_database(option: str | None, environ: dict[str, str] | None = None) -> Database:
    env = os.environ if environ is None else environ
    if option:
        return parse_database(option)
    if env.get("KOITO_DATABASE_URL"):
        return parse_database(env["KOITO_DATABASE_URL"])
    config_dir = env.get("KOITO_CONFIG_DIR")
    return Database("sqlite", str(Path(config_dir) / "koito.db") if config_dir else "koito.db")
