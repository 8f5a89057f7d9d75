"""Which artists Koito credits a scrobble with, as far as the scrobble alone tells.

Koito parses the artist string and the title (`feat.`, separators) only when a scrobble brings
neither artist MBIDs nor a list of names; otherwise it credits those. One song can therefore be
credited two ways: Last.fm gives an artist MBID on some scrobbles of a song and not on others,
and Koito credits `Song (feat. B)` by A to A alone on the first and to A and B on the others,
on two tracks. Scrobbles whose credit differs from the parsed one get it into their lookup key
(`Scrobble.key_crediting`), so the two are resolved, and cached, apart, as Koito resolves them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from koito_import.catalog.artist_names import parse_artists
from koito_import.model import Scrobble

MEMO_LIMIT = 200_000  # songs whose credit is remembered


class Credits:
    def __init__(self, separators: Sequence[re.Pattern[str]]) -> None:
        self.separators = separators
        self._memo: dict[tuple[object, ...], list[str] | None] = {}

    def key(self, s: Scrobble) -> str:
        """The scrobble's lookup key, carrying its credit when that is not the parsed one."""
        if s.koito is not None or not (s.artist_mbid_map or s.artist_mbids or s.artist_names):
            return s.lookup_key
        # An export repeats each song's scrobbles: the credit is worked out once per song.
        said = (s.artist, s.track, *s.artist_names, len(s.artist_mbids), *s.artist_mbid_map)
        if said in self._memo:
            credit = self._memo[said]
        else:
            credit = self._differing_credit(s)
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            self._memo[said] = credit
        return s.lookup_key if credit is None else s.key_crediting(credit)

    def _differing_credit(self, s: Scrobble) -> list[str] | None:
        parsed = parse_artists(s.artist, s.track, self.separators)
        credit = stated_credit(s, parsed)
        return None if credit == parsed else credit


def stated_credit(s: Scrobble, parsed: list[str]) -> list[str]:
    """The names Koito's artist steps (SPEC §3) credit, taking every bare MBID as unknown
    (Koito then falls back to the names); the database can only make two of a scrobble's
    stated credits differ where an MBID already names another artist."""
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
