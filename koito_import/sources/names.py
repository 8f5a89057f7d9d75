"""Names Koito's tables cannot hold: such a listen is skipped, counted with a reason.

Names are stored whole however long (Koito stores a 1,000-character title whole). But
PostgreSQL refuses a btree index entry over 2,704 bytes, and Koito's alias tables have
`(entity id, alias)` primary keys: 2,688 bytes of text is the most such an entry holds when
the text does not compress (measured). A listen naming anything longer — its track, album,
an artist, or any alias of a Koito export — is skipped on both back ends, so the result never
depends on the back end (and a PostgreSQL database stays migratable to SQLite and back).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from koito_import.core.model import Scrobble, Skip
from koito_import.sources.base import Item

MAX_NAME_BYTES = 2688
TOO_LONG = f"name too long for Koito (over {MAX_NAME_BYTES:,} bytes)"


def fits(name: str) -> bool:
    return len(name) * 4 <= MAX_NAME_BYTES or len(name.encode()) <= MAX_NAME_BYTES


def _stored_names(s: Scrobble) -> Iterator[str]:
    yield s.track
    yield s.release
    yield from s.artist_names
    yield from (name for name, _ in s.artist_mbid_map)
    if not s.artist_names:
        yield s.artist  # parsed into names, and stored whole when it lists only one
    if s.koito is not None:
        for entity in (s.koito.track, s.koito.album, *s.koito.artists):
            yield from (a.alias for a in entity.aliases)


# Names this short fit whatever their characters (at most 4 bytes each in UTF-8).
SURELY_FITS = MAX_NAME_BYTES // 4


def too_long(s: Scrobble) -> bool:
    if s.koito is None and _all_short(s):  # nearly every listen: no name needs a look
        return False
    return not all(fits(name) for name in _stored_names(s))


def _all_short(s: Scrobble) -> bool:
    """A quick sufficient test, without a generator per listen (a tenth of the reading)."""
    if len(s.track) > SURELY_FITS or len(s.release) > SURELY_FITS or len(s.artist) > SURELY_FITS:
        return False
    for name in s.artist_names:
        if len(name) > SURELY_FITS:
            return False
    for name, _ in s.artist_mbid_map:  # noqa: SIM110 - a loop: no generator per listen
        if len(name) > SURELY_FITS:
            return False
    return True


def skip_too_long(items: Iterable[Item], where: str) -> Iterator[Item]:
    """`items` with every listen naming something too long turned into a Skip."""
    for number, item in enumerate(items, 1):
        if isinstance(item, Scrobble) and too_long(item):
            yield Skip(TOO_LONG, f"{where} item #{number}")
        else:
            yield item
