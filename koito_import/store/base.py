"""The one small interface every database back end implements.

The catalog resolver (back-end free) reads through the `fetch_*` methods and hands a
`BatchWrite` back; a store turns it into rows in one transaction. Entity references in a
`BatchWrite` are ints: a positive int is an existing row id, a negative int `-(i + 1)` is the
i-th new entity of that kind in the same batch, whose real id the store assigns on write.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol

from koito_import.core.model import Alias

# Keys per look-up query when a store spreads a batch's look-ups over its workers (--workers):
# fewer keys than this in a batch make one query, whatever the number of workers.
LOOKUP_CHUNK = 2000


class StoreError(Exception):
    """A database problem the user must fix (unreachable, not Koito's, locked...)."""


class CatalogChanged(Exception):
    """Another writer (a running Koito) created an entity the batch was about to create, after
    the batch was planned: plan it again (see store.concurrent)."""


@dataclass(frozen=True, slots=True)
class CatalogMark:
    """The highest artist, release and track ids when a batch's planning began."""

    artists: int
    releases: int
    tracks: int


class LockHeld(StoreError):
    """Another import holds the database's import lock."""


@dataclass(slots=True)
class ArtistRow:
    id: int
    mbid: str | None
    aliases: list[str]  # every alias, primary first


@dataclass(slots=True)
class ReleaseRow:
    id: int
    mbid: str | None
    title: str  # primary alias
    artist_ids: set[int]


@dataclass(slots=True)
class TrackRow:
    id: int
    mbid: str | None
    title: str  # primary alias
    release_id: int
    artist_ids: set[int]
    duration: int


@dataclass(slots=True)
class NewArtist:
    aliases: list[Alias]  # primary first
    mbid: str | None = None
    image: str | None = None  # UUID Koito will fetch the image into
    image_source: str | None = None


@dataclass(slots=True)
class NewRelease:
    aliases: list[Alias]
    mbid: str | None = None
    various_artists: bool = False
    image: str | None = None
    image_source: str | None = None


@dataclass(slots=True)
class NewTrack:
    aliases: list[Alias]
    release: int  # reference
    mbid: str | None = None
    duration: int = 0


class Listen(NamedTuple):
    """One listen of a BatchWrite. The planner writes plain tuples in this order (a batch
    holds thousands), so the stores read listens by position."""

    track: int  # reference
    listened_at: int  # unix seconds
    client: str | None


@dataclass(slots=True)
class LookupRow:
    key: str
    artist: int  # references
    release: int
    track: int


@dataclass(slots=True)
class BatchWrite:
    """Everything one batch writes; applied atomically by `Store.write`."""

    user_id: int
    artists: list[NewArtist] = field(default_factory=list)
    releases: list[NewRelease] = field(default_factory=list)
    tracks: list[NewTrack] = field(default_factory=list)
    artist_releases: list[tuple[int, int, bool]] = field(default_factory=list)  # insert-ignore
    artist_tracks: list[tuple[int, int, bool]] = field(default_factory=list)  # insert-ignore
    artist_mbids: list[tuple[int, str]] = field(default_factory=list)  # set where null
    release_mbids: list[tuple[int, str]] = field(default_factory=list)
    track_mbids: list[tuple[int, str]] = field(default_factory=list)
    track_durations: list[tuple[int, int]] = field(default_factory=list)  # set where 0
    listens: list[Listen | tuple[int, int, str | None]] = field(default_factory=list)
    lookups: list[LookupRow] = field(default_factory=list)
    mark: CatalogMark | None = None  # what the database held when planning began
    # Spotify's one play in two exports (catalog.minutes): minute listens left out as
    # duplicates, and the (track id, listened_at) of stored ones this batch replaces.
    minute_duplicates: int = 0
    replaced: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class Written:
    """What one `Store.write` added: the ledger of runs records exactly this."""

    listens: list[tuple[int, int]]  # (track id, unix seconds) of each listen inserted
    artists: list[int]  # ids of the entities created, in creation order
    releases: list[int]
    tracks: list[int]

    @property
    def inserted(self) -> int:
        return len(self.listens)


# Called by `Store.write` inside the batch's transaction, before it commits, with the store's
# connection (sqlite3 or psycopg): whatever it writes commits or rolls back with the batch.
WithinWrite = Callable[[Any, Written], None]


@dataclass(slots=True)
class User:
    id: int
    username: str
    created: bool  # True when this run created Koito's default user


class Store(Protocol):
    description: str  # what to tell the user: "PostgreSQL koito@localhost/koito"
    kind: Literal["postgresql", "sqlite"]

    def close(self) -> None: ...

    def transaction(self, readonly: bool = False) -> AbstractContextManager[Any]:
        """One transaction on the store's writing connection, yielded (sqlite3 or psycopg);
        committed at the end, rolled back on any exception; driver errors become StoreErrors."""
        ...

    def import_lock(self, wait_s: float) -> AbstractContextManager[None]:
        """Hold the database's import lock; raise LockHeld after `wait_s` seconds."""
        ...

    def user(self, username: str | None, default_username: str, default_password: str) -> User:
        """The named user, else the lowest-id admin; create Koito's default user if none exist
        (every back end through shared.choose_user)."""
        ...

    def catalog_mark(self) -> CatalogMark:
        """The highest artist, release and track ids now."""
        ...

    def lookup(self, keys: Sequence[str]) -> dict[str, int]:
        """track_lookup hits: key -> track id."""
        ...

    def tracks_without_duration(self, track_ids: Collection[int]) -> set[int]:
        """Those of `track_ids` whose duration is still 0."""
        ...

    def present_listens(self, listens: Collection[tuple[int, int]]) -> set[tuple[int, int]]:
        """Those (track id, listened_at) pairs that are in `listens` already (any user)."""
        ...

    def fetch_artists(self, names: Collection[str], mbids: Collection[str]) -> list[ArtistRow]:
        """Artists having any alias in `names` (exact) or an MBID in `mbids`."""
        ...

    def fetch_releases(
        self, titled: Collection[tuple[str, int]], mbids: Collection[str]
    ) -> list[ReleaseRow]:
        """Releases whose primary title and a linked artist match a (title, artist id) pair,
        or whose MBID is in `mbids`."""
        ...

    def fetch_tracks(
        self, titled: Collection[tuple[str, int]], mbids: Collection[str]
    ) -> list[TrackRow]:
        """Tracks whose primary title and release match a (title, release id) pair, or whose
        MBID is in `mbids`."""
        ...

    def listens_in_minutes(
        self, user_id: int, starts: Collection[int]
    ) -> list[tuple[int, int, str | None, str, str]]:
        """The user's listens ending in the minutes starting at `starts` (unix seconds), as
        (listened_at, track id, client, an alias of an artist of its track, an alias of its
        track): one row per pair of aliases (catalog.minutes)."""
        ...

    def has_minute_listens(self, user_id: int) -> bool:
        """Whether the user has a listen known to the minute only (core.model.MINUTE_CLIENT)."""
        ...

    def write(self, batch: BatchWrite, within: WithinWrite | None = None) -> Written:
        """Apply `batch` in one transaction (with `within`, see WithinWrite); return what it
        added."""
        ...
