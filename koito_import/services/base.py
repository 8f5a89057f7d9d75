"""What every service client shares, without the HTTP library: its failures, its counters, the
shape of a page of items, and secrets kept out of every text shown."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from koito_import.core.model import Scrobble, Skip
from koito_import.ledger.cursors import SyncKey
from koito_import.sources.base import Item
from koito_import.sources.fields import SkipItem
from koito_import.sources.names import TOO_LONG, too_long

MASK = "***"


class ServiceError(Exception):
    """The service refused, or could not be reached (exit 6). The message is one line that
    names the service, with every secret masked."""


class Transient(Exception):
    """An answer worth asking again: `wait_s` when the service says how long to wait."""

    def __init__(self, problem: str, wait_s: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.wait_s = wait_s


@dataclass(slots=True)
class Fetched:
    """What a sync asked and got: the summary and the progress show it."""

    requests: int = 0
    retries: int = 0
    pages: int = 0
    fetched: int = 0  # items in the window, now-playing left out
    total: int = 0  # what the service says the window holds, when it says (0: unknown)
    newest: int | None = None  # the newest listen time fetched

    def saw(self, when: int) -> None:
        self.fetched += 1
        if self.newest is None or when > self.newest:
            self.newest = when


class Feed(Protocol):
    """A service account's history, read window by window (SPEC §9)."""

    key: SyncKey
    source: str  # the ledger's name of the run's source: "sync:lastfm"
    shown: str  # the URL the ledger records, with no secret in it
    descending: bool  # pages come newest first
    stats: Fetched

    def check(self) -> None:
        """Refuse early what would fail on the first page (a token, a server that is not
        the service): ServiceError."""
        ...

    def pages(self, low: int, high: int) -> Iterator[list[Item]]:
        """The listens (and skips) timed `low..high` (both included), page by page, in the
        order `descending` says."""
        ...

    def close(self) -> None: ...


@dataclass(slots=True)
class Secrets:
    """The secrets of one sync: masked in any text that leaves the program."""

    values: list[str] = field(default_factory=list)

    def add(self, value: str | None) -> None:
        if value:
            self.values.append(value)

    def mask(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text


def shown_url(url: str) -> str:
    """`url` without a password or query (a key may ride in either), and no trailing slash."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.username:
        host = f"{parts.username}:{MASK}@{host}" if parts.password else f"{parts.username}@{host}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def converted(
    raws: Iterable[Any],
    convert: Any,
    where: str,
    window: tuple[int, int],
    stats: Fetched,
    seen: list[Any],
) -> list[Item]:
    """The page's items inside `window` as the file readers make them (same conversion, same
    skips); `where` names the page in a skip. Those equal to an item of `seen` (the previous
    page's last second, asked again in case the page cut it) were fetched already."""
    low, high = window
    items: list[Item] = []
    for number, raw in enumerate(raws, 1):
        if raw in seen:
            seen.remove(raw)
            continue
        try:
            item: Item = convert(raw)
        except SkipItem as skip:
            stats.fetched += 1
            items.append(Skip(skip.reason, f"{where} item #{number}"))
            continue
        if isinstance(item, Scrobble):
            if not low <= item.listened_at <= high:
                continue  # a neighbour of the window (its bounds are asked loosely)
            stats.saw(item.listened_at)
            if too_long(item):
                item = Skip(TOO_LONG, f"{where} item #{number}")
        items.append(item)
    return items


def at_second(raws: list[Any], times: list[int | None], second: int) -> list[Any]:
    """The raw items of `raws` timed `second` (`times`: each one's time, None when unknown)."""
    return [raw for raw, at in zip(raws, times, strict=True) if at == second]
