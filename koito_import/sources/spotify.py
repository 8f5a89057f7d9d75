"""Spotify's streaming history: the extended history (`Streaming_History_Audio_*.json`, and its
older name `endsong_*.json`) and the account-data history (`StreamingHistory*.json`).

Counting follows Koito: an extended entry is a listen when `reason_end` is "trackdone"; with
`--min-played N` a play of at least N seconds counts too. The account-data form has no end
reason, so there a play counts when it lasted at least `--min-played` seconds, by default 30 s
(the length at which Spotify itself counts a stream and the shortest track Last.fm scrobbles).

Both forms give the time the play ended (`ts`, `endTime`); Koito stores `ts` as the listen
time, and so does this reader. `endTime` is to the minute: such a listen is the same play as
a listen of the same song ending in that minute (catalog.minutes). A duration is only known
for plays that ran to the end (ms_played / 1000, as Koito does); a partial play says nothing
about the track's length.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from koito_import.core.model import Scrobble
from koito_import.sources.base import ByteCounter, InputError, Item, SourceOptions
from koito_import.sources.fields import (
    SkipItem,
    convert_each,
    duration_s,
    iso_unix,
    optional_text,
    required_text,
    text_unix,
)
from koito_import.sources.inputs import Input
from koito_import.sources.jsonstream import json_items, json_layout

CLIENT = "spotify"
DEFAULT_MIN_PLAYED_S = 30
FINISHED = "trackdone"
PODCAST_KEYS = ("episode_name", "spotify_episode_uri", "episode_show_name")
AUDIOBOOK_KEYS = ("audiobook_title", "audiobook_uri", "audiobook_chapter_uri")
# Audio only: the export also holds Streaming_History_Video_* and StreamingHistory_podcast_*.
FILE_NAME = re.compile(
    r"^(Streaming_History_Audio_.*|endsong_.*|StreamingHistory(_music)?_?\d*)\.json$",
    re.IGNORECASE,
)


def accepts(name: str) -> bool:
    return bool(FILE_NAME.match(name.rsplit("/", 1)[-1]))


def read_input(inp: Input, counter: ByteCounter, options: SourceOptions) -> Iterator[Item]:
    first = json_layout(inp, lambda prefix, event: True)
    if first != ("", "start_array"):
        raise InputError(inp.name, "not a Spotify streaming history (expected a JSON array)")
    raws = json_items(inp, counter, "item")
    yield from convert_each(raws, lambda raw: to_scrobble(raw, options), f"{inp.name} item")


def to_scrobble(raw: Any, options: SourceOptions) -> Scrobble:
    if not isinstance(raw, dict):
        raise SkipItem("not an object")
    if "ts" in raw:
        return _extended(raw, options)
    if "endTime" in raw:
        return _account_data(raw, options)
    raise SkipItem("not a Spotify history entry")


def _extended(raw: dict[str, Any], options: SourceOptions) -> Scrobble:
    if any(raw.get(key) for key in PODCAST_KEYS):
        raise SkipItem("podcast episode")
    if any(raw.get(key) for key in AUDIOBOOK_KEYS):
        raise SkipItem("audiobook")
    track = required_text(raw, "master_metadata_track_name", "track title")
    artist = required_text(raw, "master_metadata_album_artist_name", "artist")
    played_ms = _played_ms(raw.get("ms_played"))
    finished = raw.get("reason_end") == FINISHED
    if not finished:
        _require_min_played(played_ms, options.min_played_s)
    return Scrobble(
        artist=artist,
        track=track,
        release=optional_text(raw, "master_metadata_album_album_name"),
        listened_at=iso_unix(raw.get("ts")),
        duration=duration_s(played_ms, 1000) if finished else 0,
        client=CLIENT,
    )


def _account_data(raw: dict[str, Any], options: SourceOptions) -> Scrobble:
    if raw.get("podcastName") or raw.get("episodeName"):
        raise SkipItem("podcast episode")
    track = required_text(raw, "trackName", "track title")
    artist = required_text(raw, "artistName", "artist")
    minimum = options.min_played_s if options.min_played_s is not None else DEFAULT_MIN_PLAYED_S
    _require_min_played(_played_ms(raw.get("msPlayed")), minimum)
    end = raw.get("endTime")
    # "YYYY-MM-DD HH:MM": the same play as an extended-history entry ending in that minute,
    # which is kept instead (catalog.minutes).
    minute = isinstance(end, str) and end.count(":") == 1
    return Scrobble(
        artist=artist,
        track=track,
        listened_at=text_unix(end, ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")),
        client=CLIENT,
        minute_precision=minute,
    )


def _played_ms(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return 0
    return int(value)


def _require_min_played(played_ms: int, minimum_s: int | None) -> None:
    if minimum_s is None:
        raise SkipItem("not played to the end")
    if played_ms < minimum_s * 1000:
        raise SkipItem(f"played less than {minimum_s} s")
