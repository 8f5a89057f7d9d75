"""One play in Spotify's two exports of a history: to the second and to the minute.

Spotify's account data (`StreamingHistory*.json`) gives the minute a play ended; the extended
history (`Streaming_History_Audio_*.json`, `endsong_*.json`) gives the second, and the album.
A listen known to the minute only (`Scrobble.minute_precision`, stored with the client
MINUTE_CLIENT so the database remembers it) is the same play as a listen of the same song, its
artist and title ignoring case, that ends in that minute, whatever its album. The listen to
the second is the one kept, whichever export comes first:
- a minute listen whose minute holds such a listen (in the database, or in its own batch) is a
  duplicate: it leaves the batch before planning, so it creates nothing;
- a listen whose minute holds such a minute listen in the database replaces it: the batch
  deletes that listen, and the entities only it used (ledger.replace).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from koito_import.core.model import MINUTE_CLIENT, Scrobble
from koito_import.store.base import Store

Song = tuple[str, str]  # artist, title: folded
Near = dict[int, list[tuple[int, int, str | None, set[Song]]]]  # minute -> listens


def song(s: Scrobble) -> Song:
    return _fold(s.artist), _fold(s.track)


def same_plays(
    store: Store,
    user_id: int,
    first: Sequence[Scrobble],
    listens: Sequence[tuple[int, int, str | None]],
    minutes_stored: bool,
) -> tuple[set[int], set[tuple[int, int]]]:
    """Of a batch's listens ((key index, listened_at, client), the key's first scrobble in
    `first`): the positions of the minute listens that are duplicates, and the (track id,
    listened_at) of the stored minute listens the others replace. `minutes_stored`: whether
    the database may hold minute listens (if not, the others need no look-up)."""
    minute = [j for j, listen in enumerate(listens) if listen[2] == MINUTE_CLIENT]
    if not minute and not minutes_stored:
        return set(), set()
    songs = [song(s) for s in first]
    exact: dict[int, set[Song]] = {}  # minute -> songs of the batch's listens to the second
    for i, ts, client in listens:
        if client != MINUTE_CLIENT:
            exact.setdefault(ts // 60, set()).add(songs[i])
    starts = {listens[j][1] // 60 * 60 for j in minute}
    if minutes_stored:
        starts.update(m * 60 for m in exact)
    near = _near(store.listens_in_minutes(user_id, starts))
    duplicates = set()
    for j in minute:
        i, ts, _ = listens[j]
        played = songs[i]
        if played in exact.get(ts // 60, ()) or any(
            played in n for *_, n in near.get(ts // 60, [])
        ):
            duplicates.add(j)
    replaced = set()
    for m, played_here in exact.items():
        for ts, track, client, names in near.get(m, []):
            if client == MINUTE_CLIENT and names & played_here:
                replaced.add((track, ts))
    return duplicates, replaced


def _near(rows: Iterable[tuple[int, int, str | None, str, str]]) -> Near:
    """The stored listens by minute, each with every (artist alias, track alias) it goes by."""
    found: dict[tuple[int, int], tuple[str | None, set[Song]]] = {}
    for ts, track, client, artist, title in rows:
        found.setdefault((ts, track), (client, set()))[1].add((_fold(artist), _fold(title)))
    near: Near = {}
    for (ts, track), (client, names) in found.items():
        near.setdefault(ts // 60, []).append((ts, track, client, names))
    return near


def _fold(text: str) -> str:
    return text.strip().casefold()
