"""The lookup key a scrobble gets: SPEC §2.2's text key, plus what Koito resolves it from."""

from __future__ import annotations

from typing import Any

from koito_import.catalog.artist_names import compile_separators
from koito_import.catalog.lookup_keys import LookupKeys
from koito_import.core.model import Scrobble

KEYS = LookupKeys(compile_separators(None))
SPEC_KEY = "björk\x1fjóga\x1fhomogenic"
MBID = "87c5dedd-371d-4a53-9f7f-80522fb7f3cb"


def song(artist: str = "Björk", track: str = "Jóga", **fields: Any) -> Scrobble:
    return Scrobble(artist, track, 1_700_000_000, release="Homogenic", **fields)


def test_a_scrobble_with_nothing_but_text_keeps_specs_key() -> None:
    assert KEYS.key(song()) == SPEC_KEY
    assert KEYS.key(song(artist_names=["Björk"])) == SPEC_KEY


def test_mbids_add_a_digest_the_same_for_the_same_mbids() -> None:
    with_mbid = KEYS.key(song(artist_mbids=[MBID], artist_mbid_map=[("Björk", MBID)]))
    assert with_mbid.startswith(SPEC_KEY + "\x1fmbid:")
    again = KEYS.key(song(artist_mbids=[MBID], artist_mbid_map=[("Björk", MBID)]))
    assert with_mbid == again
    assert KEYS.key(song(recording_mbid=MBID)) not in (with_mbid, SPEC_KEY)


def test_a_credit_other_than_the_parsed_one_is_in_the_key() -> None:
    """Koito credits a name list as it is and parses the text only without one: `Jóga (feat.
    Ólöf)` by Björk with the list [Björk] is Björk alone, without it Björk and Ólöf."""
    title = "Jóga (feat. Ólöf Arnalds)"
    plain = song(track=title)
    listed = song(track=title, artist_names=["Björk"])
    both = song(track=title, artist_names=["Björk", "Ólöf Arnalds"])

    assert KEYS.key(plain) == plain.lookup_key
    assert KEYS.key(listed) == plain.lookup_key + "\x1fcredit:Björk"
    assert KEYS.key(both) == plain.lookup_key  # the list says what the text says


def test_separators_count_as_the_text_naming_several_artists() -> None:
    duo = song(artist="Björk · Ólöf Arnalds", artist_names=["Björk · Ólöf Arnalds"])
    assert KEYS.key(duo).endswith("\x1fcredit:Björk · Ólöf Arnalds")
    assert LookupKeys(compile_separators("x;;y")).key(song(artist_names=["Björk"])) == SPEC_KEY
