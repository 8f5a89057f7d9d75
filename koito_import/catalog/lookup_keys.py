"""The lookup key of a scrobble: what Koito resolves it from, as far as the scrobble tells.

SPEC §2.2's key is the scrobble's text: lower(artist)␟lower(title)␟lower(release). Koito does
not resolve a scrobble from its text alone, though:
- it parses the artist string and the title (`feat.`, separators) only when a scrobble brings
  neither artist MBIDs nor a list of names; otherwise it credits those. Last.fm gives an artist
  MBID on some scrobbles of a song and not on others, and Koito credits `Song (feat. B)` by A
  to A alone on the first and to A and B on the others, on two tracks;
- it looks artists, the release and the track up by MBID first, and an MBID can name an entity
  of another text (`Sigur Ros` scrobbled with the MBID of the `Sigur Rós` it created first, a
  release MBID shared by `Takk...` and its deluxe edition).
So a scrobble whose credit differs from the parsed one carries the credit in its key
(`␟credit:A`), and one with MBIDs carries a digest of them (`␟mbid:…`): scrobbles of one
text that Koito may resolve differently are resolved, and cached, apart. A scrobble with
neither keeps SPEC's key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from koito_import.catalog.artist_names import parse_artists
from koito_import.core.model import RECORD_SEPARATOR, UNIT_SEPARATOR, Scrobble

MEMO_LIMIT = 10_000  # songs whose key suffix is remembered (up to about 800 bytes each)


class LookupKeys:
    def __init__(self, separators: Sequence[re.Pattern[str]]) -> None:
        self.separators = separators
        self._memo: dict[tuple[object, ...], str] = {}

    def key(self, s: Scrobble) -> str:
        """The scrobble's lookup key: SPEC's, with its credit and MBIDs where it has them."""
        if s.koito is not None:
            # Its key carries its entities' MBIDs already (Scrobble.key_with); the credit too,
            # as Koito's importer finds a track by title on the album *with all its artists*:
            # one song by [A], then by [A, B], is two tracks there.
            return s.key_with(_koito_credit(s))
        if self._plain(s):
            return s.lookup_key
        said = (
            s.artist,
            s.track,
            s.recording_mbid,
            s.release_mbid,
            *s.artist_names,
            RECORD_SEPARATOR,
            *s.artist_mbids,
            *s.artist_mbid_map,
        )
        # An export repeats each song's scrobbles: the suffix is worked out once per song.
        suffix = self._memo.get(said)
        if suffix is None:
            suffix = self._credit_suffix(s) + _mbid_suffix(s)
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            self._memo[said] = suffix
        return s.key_with(suffix)

    def _plain(self, s: Scrobble) -> bool:
        """Whether SPEC's key is the whole key, found without the memo for the usual
        scrobble: no MBIDs, and no names, or the one its text names and nothing else."""
        if s.recording_mbid or s.release_mbid or s.artist_mbids or s.artist_mbid_map:
            return False
        names = s.artist_names
        if not names:
            return True
        return (
            len(names) == 1
            and names[0] == s.artist
            and "feat." not in s.track.lower()
            and "feat." not in s.artist.lower()
            and not _splits(s.artist, self.separators)
        )

    def _credit_suffix(self, s: Scrobble) -> str:
        if not (s.artist_mbid_map or s.artist_mbids or s.artist_names):
            return ""
        parsed = parse_artists(s.artist, s.track, self.separators)
        credit = _stated_credit(s, parsed)
        return "" if credit == parsed else f"{UNIT_SEPARATOR}credit:{RECORD_SEPARATOR.join(credit)}"


def _koito_credit(s: Scrobble) -> str:
    """The credit of a Koito export's listen when it names more than its first artist."""
    names = [name.strip() for name in s.artist_names]
    if names == [s.artist.strip()]:
        return ""
    return f"{UNIT_SEPARATOR}credit:{RECORD_SEPARATOR.join(names)}"


def _splits(text: str, separators: Sequence[re.Pattern[str]]) -> bool:
    if len(separators) == 1:  # the usual case, without a generator's cost
        return separators[0].search(text) is not None
    return any(p.search(text) for p in separators)


def _mbid_suffix(s: Scrobble) -> str:
    mbids = [
        s.recording_mbid or "",
        s.release_mbid or "",
        *s.artist_mbids,
        *(f"{name}={mbid}" for name, mbid in s.artist_mbid_map),
    ]
    if not any(mbids):
        return ""
    digest = hashlib.blake2b(RECORD_SEPARATOR.join(mbids).encode(), digest_size=8).hexdigest()
    return f"{UNIT_SEPARATOR}mbid:{digest}"


def _stated_credit(s: Scrobble, parsed: list[str]) -> list[str]:
    """The names Koito's artist steps (SPEC §3) credit, taking every bare MBID as unknown
    (Koito then falls back to the names)."""
    names = [name.strip() for name, _ in s.artist_mbid_map]
    listed = [n.strip() for n in s.artist_names if n.strip()]
    if len(s.artist_mbids) > len(names):
        names += _unmatched(listed or parsed, names)
    if len(listed) > len(names):
        names += _unmatched(listed, names)
    return names or _unmatched([*listed, *parsed], [])


def _unmatched(names: list[str], known: list[str]) -> list[str]:
    """`names` not yet among `known`, case-insensitively, as Koito skips an artist found."""
    seen = {n.lower() for n in known}
    result = []
    for name in names:
        if name.lower() not in seen:
            seen.add(name.lower())
            result.append(name)
    return result
