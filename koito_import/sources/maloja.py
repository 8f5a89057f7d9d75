"""Maloja's export JSON (`{"maloja": …, "scrobbles": […]}`) or its API form (`{"list": […]}`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from koito_import.core.model import Scrobble
from koito_import.sources.base import ByteCounter, InputError, Item, SourceOptions
from koito_import.sources.fields import SkipItem, checked_unix, clean_text, convert_each
from koito_import.sources.inputs import Input
from koito_import.sources.jsonstream import json_items, json_layout

FEATURE_JOINER = " • "
LIST_KEYS = ("scrobbles", "list")


def accepts(name: str) -> bool:
    return name.lower().endswith(".json")


def read_input(inp: Input, counter: ByteCounter, options: SourceOptions) -> Iterator[Item]:
    # Which of Maloja's two forms this is; the header before the list is small.
    found = json_layout(inp, lambda prefix, event: event == "start_array" and prefix in LIST_KEYS)
    if found is None:
        raise InputError(inp.name, 'not a Maloja export (no "scrobbles" or "list" array)')
    raws = json_items(inp, counter, f"{found[0]}.item")
    yield from convert_each(raws, to_scrobble, f"{inp.name} scrobble")


def maloja_artists(artists: list[str]) -> list[str]:
    """Maloja lists ['feature', 'main • feature']: put the joined entry first, then split."""
    moved = list(artists)
    joined = next((i for i, a in enumerate(moved) if FEATURE_JOINER in a), None)
    if joined is not None:
        moved.insert(0, moved.pop(joined))
    return moved


def unique_ignoring_case(names: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out


def to_scrobble(raw: Any) -> Scrobble:
    if not isinstance(raw, dict):
        raise SkipItem("not an object")
    track = raw.get("track")
    if not isinstance(track, dict):
        raise SkipItem("no track")
    artists = _artists(track.get("artists"))
    title = clean_text(track.get("title"))
    if title is None:
        raise SkipItem("no title" if _blank(track.get("title")) else "title is not text")
    when = checked_unix(raw.get("time"))
    album = track.get("album")
    release = clean_text(album.get("albumtitle")) if isinstance(album, dict) else None
    if len(artists) == 1 and FEATURE_JOINER not in artists[0]:
        names = artists  # the common case, with nothing to move, split or de-duplicate
    else:
        artists = maloja_artists(artists)
        names = unique_ignoring_case([p for a in artists for p in a.split(FEATURE_JOINER)])
    return Scrobble(artists[0], title, when, names, release=release or "", client="maloja")


def _artists(value: Any) -> list[str]:
    """The usable names; a list holding only numbers or the like is "not text", not empty."""
    if type(value) is list and len(value) == 1 and (name := clean_text(value[0])) is not None:
        return [name]  # the common case
    values = value if isinstance(value, list) else [] if _blank(value) else [value]
    artists = [a for a in map(clean_text, values) if a is not None]
    if artists:
        return artists
    if all(_blank(v) for v in values):
        raise SkipItem("no artist")
    raise SkipItem("artist is not text")


def _blank(value: Any) -> bool:
    return value is None or isinstance(value, str) or value == []
