"""The normalized scrobble every source yields, and the records that travel with it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

UNIT_SEPARATOR = "\x1f"
RECORD_SEPARATOR = "\x1e"
MAX_PLAIN_KEY = 600  # characters; at most 4 bytes each
# The client of a listen known to the minute only (Spotify's account data): the database has
# no other place to remember it, and a listen to the second of the same play replaces it.
MINUTE_CLIENT = "spotify (account data)"


@dataclass(slots=True)
class Alias:
    alias: str
    source: str
    is_primary: bool


@dataclass(slots=True)
class KoitoEntity:
    """An artist, album or track exactly as a Koito export describes it (already resolved)."""

    aliases: list[Alias]
    mbid: str | None = None
    image_url: str = ""
    various_artists: bool = False
    duration: int = 0

    @property
    def name(self) -> str:
        """The primary alias; Koito's importer uses "" when an export has none."""
        return next((a.alias for a in self.aliases if a.is_primary), "")


@dataclass(slots=True)
class KoitoListenEntities:
    artists: list[KoitoEntity]
    album: KoitoEntity
    track: KoitoEntity


@dataclass(slots=True)
class Scrobble:
    """One listen in Koito's terms (SPEC §3); MBIDs are lower-case UUID strings."""

    artist: str
    track: str
    listened_at: int  # unix seconds, UTC
    artist_names: list[str] = field(default_factory=list)
    artist_mbids: list[str] = field(default_factory=list)
    artist_mbid_map: list[tuple[str, str]] = field(default_factory=list)
    release: str = ""
    recording_mbid: str | None = None
    release_mbid: str | None = None
    duration: int = 0  # seconds
    client: str | None = None
    koito: KoitoListenEntities | None = None
    minute_precision: bool = False  # listened_at is the minute's start (catalog.minutes)

    @property
    def lookup_key(self) -> str:
        """SPEC §2.2's key: lower(artist)␟lower(title)␟lower(release)."""
        return self.key_with("")

    def key_with(self, suffix: str) -> str:
        """The lookup key with `suffix` (catalog.lookup_keys) after SPEC §2.2's."""
        key = UNIT_SEPARATOR.join((self.artist.lower(), self.track.lower(), self.release.lower()))
        key += suffix
        if self.koito is not None:
            # Koito's importer tells exported entities apart by MBID first: two artists of one
            # name with different MBIDs stay two, and so do their albums and tracks.
            entities = (*self.koito.artists, self.koito.album, self.koito.track)
            mbids = [e.mbid or "" for e in entities]
            if any(mbids):
                key += UNIT_SEPARATOR + ",".join(mbids)
        if len(key) > MAX_PLAIN_KEY:
            # A PostgreSQL btree entry holds at most ~2.7 kB: very long names get a digest.
            return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
        return key


@dataclass(slots=True)
class Skip:
    """An input item that cannot become a listen; `where` names the file and item."""

    reason: str
    where: str
