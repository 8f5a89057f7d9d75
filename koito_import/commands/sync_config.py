"""The config file of `koito-import sync` (TOML, default `$KOITO_CONFIG_DIR/koito-import.toml`):
every source to sync, and the options they share.

    db = "sqlite:////srv/koito/koito.db"   # options at the top apply to every source
    overlap = 14

    [[source]]
    service = "listenbrainz"
    user = "alice"          # the service's user; koito_user is Koito's (--user)
    token = "…"             # or LISTENBRAINZ_TOKEN

    [[source]]
    service = "maloja"
    url = "https://maloja.example.org"
"""

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from koito_import.commands.common import UsageProblem

FILE_NAME = "koito-import.toml"
SECRET_ENV = {
    "maloja": "MALOJA_API_KEY",
    "listenbrainz": "LISTENBRAINZ_TOKEN",
    "lastfm": "LASTFM_API_KEY",
}
SECRET_KEY = {"maloja": "api_key", "listenbrainz": "token", "lastfm": "api_key"}
TARGET_KEY = {"maloja": "url", "listenbrainz": "user", "lastfm": "user"}
# Import and sync options a file may set, by their long names (koito_user is --user).
OPTIONS = {
    "db", "koito_user", "after", "before", "workers", "batch_size", "artist_separator",
    "dry_run", "strict", "wait", "overlap", "full", "timeout",
}  # fmt: skip
TEXT_OPTIONS = {"after", "before"}  # taken as the command line takes them


@dataclass(slots=True)
class Source:
    service: str
    target: str  # the Maloja URL, or the service's user name
    secret: str | None
    api_url: str | None
    options: dict[str, Any] = field(default_factory=dict)  # command-line names: user, db, …
    secret_in_file: bool = False


def default_path() -> Path | None:
    folder = os.environ.get("KOITO_CONFIG_DIR")
    return Path(folder) / FILE_NAME if folder else None


def read_config(path: Path) -> list[Source]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot read the config file ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageProblem(f"{path}: not a TOML file ({exc})") from exc
    entries = document.pop("source", [])
    if not isinstance(entries, list) or not entries:
        raise UsageProblem(f"{path}: no [[source]] to sync")
    shared = _options(document, f"{path}")
    return [_source(entry, shared, f"{path}: source {n}") for n, entry in enumerate(entries, 1)]


def exposed(path: Path, sources: list[Source]) -> bool:
    """Whether the file holds a secret that users other than its owner can read."""
    mode = path.stat().st_mode
    return any(s.secret_in_file for s in sources) and bool(mode & (stat.S_IRGRP | stat.S_IROTH))


def _source(entry: Any, shared: dict[str, Any], where: str) -> Source:
    if not isinstance(entry, dict):
        raise UsageProblem(f"{where}: not a table")
    entry = {key.replace("-", "_"): value for key, value in entry.items()}
    service = entry.pop("service", None)
    if service not in SECRET_KEY:
        raise UsageProblem(f"{where}: service must be one of {', '.join(SECRET_KEY)}")
    target = entry.pop(TARGET_KEY[service], None)
    if not isinstance(target, str) or not target.strip():
        raise UsageProblem(f'{where}: {service} needs {TARGET_KEY[service]} = "…"')
    secret = entry.pop(SECRET_KEY[service], None)
    api_url = entry.pop("api_url", None) if service != "maloja" else None
    options = {**shared, **_options(entry, where)}
    return Source(
        service,
        target.strip(),
        str(secret) if secret else os.environ.get(SECRET_ENV[service]) or None,
        str(api_url) if api_url else None,
        options,
        secret_in_file=bool(secret),
    )


def _options(table: dict[str, Any], where: str) -> dict[str, Any]:
    options = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in OPTIONS:
            raise UsageProblem(f"{where}: unknown setting {key!r}")
        if name in TEXT_OPTIONS:
            value = str(value)
        if name == "artist_separator" and isinstance(value, str):
            value = [value]
        options["user" if name == "koito_user" else name] = value
    return options
