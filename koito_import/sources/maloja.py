"""Maloja's export JSON (`{"maloja": …, "scrobbles": […]}`) or its API form (`{"list": […]}`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from koito_import.model import Scrobble, Skip
from koito_import.sources.base import ByteCounter, InputError, Item, SourceOptions, open_counted

FEATURE_JOINER = " • "
LIST_KEYS = ("scrobbles", "list")


def read(path: Path, counter: ByteCounter, options: SourceOptions) -> Iterator[Item]:
    key = _list_key(path)
    with open_counted(path, counter) as stream:
        try:
            for index, raw in enumerate(ijson.items(stream, f"{key}.item", use_float=True)):
                yield to_scrobble(raw, f"{path} scrobble #{index + 1}")
        except ijson.JSONError as exc:
            raise InputError(str(path), f"malformed JSON ({exc})") from exc


def _list_key(path: Path) -> str:
    """Which of Maloja's two forms this is; the header before the list is small."""
    with open_counted(path, ByteCounter()) as stream:
        try:
            for prefix, event, _ in ijson.parse(stream):
                if event == "start_array" and prefix in LIST_KEYS:
                    return prefix
        except ijson.JSONError as exc:
            raise InputError(str(path), f"malformed JSON ({exc})") from exc
    raise InputError(str(path), 'not a Maloja export (no "scrobbles" or "list" array)')


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


def to_scrobble(raw: Any, where: str) -> Item:
    if not isinstance(raw, dict):
        return Skip("not an object", where)
    track = raw.get("track")
    if not isinstance(track, dict):
        return Skip("no track", where)
    artists = [a for a in track.get("artists") or [] if isinstance(a, str) and a.strip()]
    title = track.get("title")
    if not artists:
        return Skip("no artist", where)
    if not isinstance(title, str) or not title.strip():
        return Skip("no title", where)
    when = raw.get("time")
    if isinstance(when, bool) or not isinstance(when, int | float):
        return Skip("no valid time", where)
    album = track.get("album")
    release = album.get("albumtitle") if isinstance(album, dict) else None
    ordered = maloja_artists(artists)
    names = unique_ignoring_case([p for a in ordered for p in a.split(FEATURE_JOINER)])
    return Scrobble(
        artist=ordered[0],
        artist_names=names,
        track=title,
        release=release if isinstance(release, str) else "",
        listened_at=int(when),
        client="maloja",
    )
