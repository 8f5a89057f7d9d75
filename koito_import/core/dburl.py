"""Which database to write to (SPEC §2): --db, KOITO_DATABASE_URL, else the embedded default.

PostgreSQL is named the ways libpq (and so Koito's pgx) accepts: a URL
(`postgresql://user:pass@host/db?sslmode=require`) or a keyword string
(`host=localhost dbname=koito user=koito password=secret`). Whatever names the database,
`Database.display()` is the only way it is shown (messages, summaries, `db status`), and it
never shows a secret.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote, unquote

# The libpq connection parameters that carry a secret (PostgreSQL 18's list).
SECRET_KEYS = frozenset(
    {"password", "sslpassword", "oauth_client_secret", "scram_client_key", "scram_server_key"}
)
# Every parameter libpq 18 knows (PQconndefaults). After a secret, a name libpq does not know
# is most likely the rest of that secret cut by an unescaped "&" or space: libpq would refuse
# it by name, so it is refused here first, without a word of it.
_LIBPQ_NAMES = """application_name channel_binding client_encoding connect_timeout dbname
    fallback_application_name gssdelegation gssencmode gsslib host hostaddr keepalives
    keepalives_count keepalives_idle keepalives_interval krbsrvname load_balance_hosts
    max_protocol_version min_protocol_version oauth_client_id oauth_issuer oauth_scope options
    passfile port replication require_auth requirepeer service ssl_max_protocol_version
    ssl_min_protocol_version sslcert sslcertmode sslcompression sslcrl sslcrldir sslkey
    sslkeylogfile sslmode sslnegotiation sslrootcert sslsni target_session_attrs
    tcp_user_timeout user"""
LIBPQ_KEYS = SECRET_KEYS | frozenset(_LIBPQ_NAMES.split())
URL_ESCAPES = (
    "percent-encode each of these in a user name, password or parameter value:"
    " @ as %40, & as %26, / as %2F, ? as %3F, = as %3D, # as %23, % as %25, a space as %20"
    " (python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=\"\"))'"
    " 'the password' prints it encoded)"
)
KEYWORD_QUOTING = (
    "in a keyword string, put a value holding spaces, quotes or backslashes in single quotes"
    " and put a backslash before each ' and \\ in it: password='it\\'s a secret'"
)
HIDDEN = "***"
_URL_SCHEMES = ("postgresql://", "postgres://")
# A keyword string names at least one of these (and only names libpq could know).
_KEYWORD_HINTS = frozenset({"host", "hostaddr", "port", "dbname", "user", "password", "service"})
_KEYWORD = re.compile(r"[a-z_]+")


class DatabaseChoiceError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Database:
    kind: Literal["postgresql", "sqlite"]
    url: str  # a libpq URL or keyword string for PostgreSQL, a file path for SQLite
    # How to name it instead, e.g. a dry run's private copy is named as the database copied.
    shown_as: str | None = field(default=None, compare=False)

    @property
    def path(self) -> Path:
        return Path(self.url)

    @property
    def sqlalchemy_url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.path.resolve()}"
        if self.url.startswith(_URL_SCHEMES):
            return "postgresql+psycopg://" + self.url.split("://", 1)[1]
        # A keyword string: SQLAlchemy hands query parameters to psycopg.connect unchanged.
        pairs = _keyword_pairs(self.url) or []
        query = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v, _, _ in pairs)
        return f"postgresql+psycopg:///?{query}"

    def display(self) -> str:
        """How every message, summary and ledger names the database: no secret in it."""
        if self.shown_as is not None:
            return self.shown_as
        if self.kind == "sqlite":
            return f"SQLite {self.path}"
        return f"PostgreSQL {without_secrets(self.url)}"


def without_secrets(value: str) -> str:
    """`value` (a libpq URL or keyword string) with every password replaced by ***."""
    if "://" in value:
        return _url_without_secrets(value)
    pairs = _keyword_pairs(value)
    if pairs is None:  # not even libpq could read it: show no value at all
        return re.sub(r"=.*", f"={HIDDEN}", value, flags=re.DOTALL)
    shown, end = [], 0
    for key, _, start, stop in pairs:
        if key in SECRET_KEYS:
            shown += [value[end:start], HIDDEN]
            end = stop
    return "".join([*shown, value[end:]])


def _url_without_secrets(url: str) -> str:
    """Everything between the user name's ":" and the last "@" is hidden (a password may hold
    "/", "?" or "#", even unescaped), then every secret parameter after the first "?"."""
    scheme, rest = url.split("://", 1)
    credentials, at, after = rest.rpartition("@")
    if at:
        user, colon, _ = credentials.partition(":")
        rest = f"{user}{':' + HIDDEN if colon else ''}@{after}"
    place, question, query = rest.partition("?")
    if question:
        params = []
        for param in query.split("&"):
            key, equals, _ = param.partition("=")
            secret = equals and unquote(key).strip() in SECRET_KEYS
            params.append(f"{key}={HIDDEN}" if secret else param)
        rest = f"{place}?{'&'.join(params)}"
    return f"{scheme}://{rest}"


def _keyword_pairs(text: str) -> list[tuple[str, str, int, int]] | None:
    """libpq's keyword string grammar: `key = value` pairs apart by spaces, a value either
    'quoted' or bare, with backslash escapes in both. Each pair comes with the span of its
    value as written; None when libpq would refuse the string."""
    pairs = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i == n:
            return pairs
        key_start = i
        while i < n and text[i] != "=" and not text[i].isspace():
            i += 1
        key = text[key_start:i]
        while i < n and text[i].isspace():
            i += 1
        if i == n or text[i] != "=" or not key:
            return None
        i += 1
        while i < n and text[i].isspace():
            i += 1
        start, value = i, []
        quoted = i < n and text[i] == "'"
        i += quoted
        while i < n and (quoted or not text[i].isspace()):
            if text[i] == "\\":
                i += 1
                if i < n:
                    value.append(text[i])
            elif quoted and text[i] == "'":
                quoted = False
                i += 1
                break
            else:
                value.append(text[i])
            i += 1
        if quoted:  # the closing quote is missing
            return None
        pairs.append((key, "".join(value), start, i))


def _names_a_secret(value: str) -> bool:
    return any(key in value.lower() for key in SECRET_KEYS)


def _is_keyword_string(value: str) -> bool:
    pairs = _keyword_pairs(value)
    return (
        bool(pairs)
        and all(_KEYWORD.fullmatch(key) for key, _, _, _ in pairs)
        and any(key in _KEYWORD_HINTS for key, _, _, _ in pairs)
    )


# What libpq refuses in a URL with a message that quotes the whole part, password and all.
_UNDECODABLE = re.compile(r"\s|%(?![0-9A-Fa-f]{2})|%00")
# A keyword string begins with a parameter name and "=": what else could it be?
_KEYWORD_START = re.compile(r"\s*[a-z_]+\s*=")


def url_problem(url: str) -> str | None:
    """Why libpq would read `url` otherwise than its writer meant (and could then quote a
    part of the password in an error: `SEK@RITY@host` is host "RITY@host" to libpq, which
    ends the user info at the first "@"); None when it reads as written."""
    if _UNDECODABLE.search(url):
        return "it holds a space, or a % not followed by two hex digits"
    rest = url.split("://", 1)[1]
    if rest.count("@") > 1:
        return "it holds more than one @"
    user_info, at, after = rest.rpartition("@")
    if at and any(c in user_info for c in "/?"):
        return "a / or ? comes before the @ that ends the user name and password"
    query = (after if at else rest).partition("?")[2]
    after_secret = False
    for param in query.split("&") if query else ():
        key, equals, value = param.partition("=")
        if not equals or "=" in value:
            return "a query parameter is not one name=value pair"
        name = unquote(key).strip()
        if after_secret and name not in LIBPQ_KEYS:
            return "a parameter after the password has a name libpq does not know"
        after_secret = after_secret or name in SECRET_KEYS
    return None


def keyword_problem(text: str) -> str | None:
    """Why libpq would refuse or misread a keyword string, without naming any part of it."""
    pairs = _keyword_pairs(text)
    if pairs is None:
        return "libpq cannot read it"
    after_secret = False
    for key, _, _, _ in pairs:
        if after_secret and key not in LIBPQ_KEYS:
            return "a parameter after the password has a name libpq does not know"
        after_secret = after_secret or key in SECRET_KEYS
    return None


def parse_database(value: str) -> Database:
    if value.startswith(_URL_SCHEMES):
        if problem := url_problem(value):
            # The URL itself is not shown: what libpq would misread cannot be hidden reliably.
            raise DatabaseChoiceError(
                f"the PostgreSQL URL cannot be used as written ({problem}): {URL_ESCAPES}"
            )
        return Database("postgresql", value)
    if value.startswith("sqlite:///"):
        return Database("sqlite", value.removeprefix("sqlite:///"))
    keywords = "://" not in value and _KEYWORD_START.match(value)
    if keywords and _names_a_secret(value) and (problem := keyword_problem(value)):
        raise DatabaseChoiceError(
            f"the PostgreSQL keyword string cannot be used as written ({problem}):"
            f" {KEYWORD_QUOTING}"
        )
    if "://" not in value and _is_keyword_string(value):
        return Database("postgresql", value)
    if value.endswith((".db", ".sqlite", ".sqlite3")) and "://" not in value:
        return Database("sqlite", value)
    shown = "the value given" if _names_a_secret(value) else repr(without_secrets(value))
    raise DatabaseChoiceError(
        f"cannot tell which database {shown} is: use "
        "postgresql://user:pass@host/db, a libpq keyword string (host=… dbname=…), "
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


def absolute_hint(db: Database) -> str:
    """`sqlite:///tmp/x.db` names tmp/x.db, relative (an absolute path takes four slashes):
    when the absolute reading is what exists, say so, for a message about a missing file."""
    if db.kind != "sqlite" or db.path.is_absolute():
        return ""
    absolute = Path("/") / db.path
    if absolute.exists() or (absolute.parent.is_dir() and not db.path.parent.is_dir()):
        return (
            f" (sqlite:///{db.url} names a path relative to the current folder;"
            f" did you mean sqlite:///{absolute}?)"
        )
    return ""
