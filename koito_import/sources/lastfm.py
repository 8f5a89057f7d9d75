"""Last.fm: the recent-tracks JSON export (an array of API pages `{"track": […]}`, a single page,
or pages wrapped in `{"recenttracks": …}`) and the CSV export (`artist,album,track,date`, with
or without a header row; a header may also name `uts` and `*_mbid` columns).

As in Koito: the album title falls back to the track title, the artist MBID becomes a
name→MBID pair, `date.uts` wins over the text date, and the now-playing entry is skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from koito_import.core.model import Scrobble, Skip
from koito_import.sources.base import ByteCounter, InputError, Item, SourceOptions
from koito_import.sources.fields import (
    OUT_OF_RANGE,
    SkipItem,
    as_dict,
    checked_unix,
    clean_text,
    convert_each,
    iso_unix,
    mbid,
    required_text,
    text_unix,
)
from koito_import.sources.inputs import Input
from koito_import.sources.jsonstream import TRUNCATED, json_items, json_layout

CLIENT = "lastfm"
TRACK_LISTS = ("track", "recenttracks.track", "item.track", "item.recenttracks.track")
JSON_DATE_FORMATS = ("%d %b %Y, %H:%M",)
CSV_DATE_FORMATS = (
    "%d %b %Y %H:%M",
    "%d %b %Y, %H:%M",
    "%d %b %Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
)
POSITIONAL = ("artist", "album", "track", "date")
# Header names seen in the common exporters, each mapped to the field it fills; for dates
# the first present column wins (a unix `uts` is exact, text dates lose the seconds).
HEADER_NAMES = {
    "artist": ("artist", "artist name", "artist_name"),
    "album": ("album", "album name", "album_name"),
    "track": ("track", "track name", "track_name", "name", "title"),
    "date": ("uts", "timestamp", "date", "utc_time", "time"),
    "artist_mbid": ("artist_mbid", "artist mbid"),
    "album_mbid": ("album_mbid", "album mbid"),
    "track_mbid": ("track_mbid", "track mbid", "mbid"),
}


def accepts(name: str) -> bool:
    return name.lower().endswith((".json", ".csv"))


def read_input(inp: Input, counter: ByteCounter, options: SourceOptions) -> Iterator[Item]:
    if inp.name.lower().endswith(".csv"):
        return _read_csv(inp, counter)
    return _read_json(inp, counter)


# --- JSON ----------------------------------------------------------------------------------


def _read_json(inp: Input, counter: ByteCounter) -> Iterator[Item]:
    found = json_layout(inp, lambda prefix, event: prefix in TRACK_LISTS and event != "map_key")
    if found is None:
        raise InputError(inp.name, 'not a Last.fm recent-tracks export (no "track" list)')
    prefix, event = found
    # The API sends a lone track as an object instead of a one-element list.
    items_prefix = f"{prefix}.item" if event == "start_array" else prefix
    yield from convert_each(
        json_items(inp, counter, items_prefix), track_scrobble, f"{inp.name} track"
    )


def track_scrobble(raw: Any) -> Scrobble:
    if not isinstance(raw, dict):
        raise SkipItem("not an object")
    if str(as_dict(raw.get("@attr")).get("nowplaying", "")).lower() == "true":
        raise SkipItem("now playing")
    artist, artist_mbid = _named(raw.get("artist"), "artist")
    album, album_mbid = _named(raw.get("album"), "album")
    track = required_text(raw, "name", "track title")
    if artist is None:
        raise SkipItem("no artist")
    when = _json_time(raw.get("date"))
    return _scrobble(artist, album, track, when, artist_mbid, album_mbid, mbid(raw.get("mbid")))


def _named(value: Any, what: str) -> tuple[str | None, str | None]:
    """The API's `{"#text": name, "mbid": …}`; with extended=1 the name is under `name`."""
    if isinstance(value, str):
        return clean_text(value), None
    if not isinstance(value, dict):
        if value is not None:
            raise SkipItem(f"{what} is not text")
        return None, None
    name = value.get("#text", value.get("name"))
    if name is not None and not isinstance(name, str):
        raise SkipItem(f"{what} is not text")
    return clean_text(name), mbid(value.get("mbid"))


def _json_time(date: Any) -> int:
    if isinstance(date, str):
        return text_unix(date, JSON_DATE_FORMATS)
    if not isinstance(date, dict):
        raise SkipItem("no date")
    try:
        return checked_unix(date.get("uts"))
    except SkipItem:
        if "#text" not in date:
            raise
        return text_unix(date.get("#text"), JSON_DATE_FORMATS)


def _scrobble(
    artist: str,
    album: str | None,
    track: str,
    listened_at: int,
    artist_mbid: str | None,
    album_mbid: str | None,
    track_mbid: str | None,
) -> Scrobble:
    return Scrobble(
        artist=artist,
        track=track,
        release=album or track,  # Koito's fallback for an empty album
        listened_at=listened_at,
        artist_mbids=[artist_mbid] if artist_mbid else [],
        artist_mbid_map=[(artist, artist_mbid)] if artist_mbid else [],
        release_mbid=album_mbid,
        recording_mbid=track_mbid,
        client=CLIENT,
    )


# --- CSV -----------------------------------------------------------------------------------


def _read_csv(inp: Input, counter: ByteCounter) -> Iterator[Item]:
    with inp.open(counter) as stream:
        # A BOM is dropped and undecodable bytes become U+FFFD.
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
        last = [""]  # the last physical line read: does the file end with a line end?

        def lines() -> Iterator[str]:
            for line in text:
                last[0] = line
                yield line

        rows = csv.reader(lines())
        columns: dict[str, int] | None = None
        held: Skip | None = None  # a skipped row is held until a row follows it
        while True:
            try:
                row = next(rows)
            except StopIteration:
                if held is not None and not last[0].endswith(("\n", "\r")):
                    # The last row is unusable and has no line end: the file was cut.
                    raise InputError(inp.name, f"{TRUNCATED} ({held.where} is cut off)") from None
                if held is not None:
                    yield held
                return
            except csv.Error as exc:
                skip = Skip(f"malformed CSV row ({exc})", f"{inp.name} line {rows.line_num}")
                if held is not None:
                    yield held
                held = skip
                continue
            if held is not None:
                yield held
                held = None
            if not any(cell.strip() for cell in row):
                continue
            if columns is None:
                columns = _header(row)
                if columns is not None and "date" not in columns:
                    raise InputError(inp.name, not_lastfm_csv(row))  # listens without times
                if columns is not None:
                    continue
                if not _dated(row):  # a header of some other CSV: refused, not all skipped
                    raise InputError(inp.name, not_lastfm_csv(row))
                columns = {name: i for i, name in enumerate(POSITIONAL)}
            try:
                yield _csv_scrobble(row, columns)
            except SkipItem as skip:
                held = Skip(skip.reason, f"{inp.name} line {rows.line_num}")


def looks_like_csv(head: bytes) -> list[str] | None:
    """None when the first bytes of a CSV are a Last.fm export's (a header naming artist,
    track and date columns, or a first row artist,album,track,date); else its first row."""
    text = head.decode("utf-8-sig", errors="replace")
    try:
        first = next((r for r in csv.reader(text.splitlines()[:20]) if any(map(str.strip, r))), [])
    except csv.Error:
        return []
    columns = _header(first)
    if columns is not None and "date" in columns:
        return None
    return None if columns is None and _dated(first) else first


def not_lastfm_csv(first_row: list[str]) -> str:
    shown = ", ".join(cell.strip() for cell in first_row[:5]) + (
        ", …" if len(first_row) > 5 else ""
    )
    return (
        f"not a Last.fm CSV (its first row: {shown}); a Last.fm CSV has artist, album, track "
        "and date columns, with or without a header"
    )


def _dated(row: list[str]) -> bool:
    """Whether `row` reads as artist,album,track,date."""
    if len(row) < len(POSITIONAL) or not row[0].strip():
        return False
    try:
        _csv_time(row[3])
    except SkipItem:
        return False
    return True


def _header(row: list[str]) -> dict[str, int] | None:
    cells = [cell.strip().lower() for cell in row]
    columns = {}
    for field, names in HEADER_NAMES.items():
        index = next((cells.index(n) for n in names if n in cells), None)
        if index is not None:
            columns[field] = index
    return columns if {"artist", "track"} <= columns.keys() else None


def _csv_scrobble(row: list[str], columns: dict[str, int]) -> Scrobble:
    def cell(field: str) -> str:
        index = columns.get(field)
        return row[index] if index is not None and index < len(row) else ""

    if len(row) <= max(columns["artist"], columns["track"]):
        raise SkipItem("too few columns")
    artist = clean_text(cell("artist"))
    track = clean_text(cell("track"))
    if artist is None:
        raise SkipItem("no artist")
    if track is None:
        raise SkipItem("no track title")
    album = clean_text(cell("album"))
    when = _csv_time(cell("date"))
    mbids = (mbid(cell("artist_mbid")), mbid(cell("album_mbid")), mbid(cell("track_mbid")))
    return _scrobble(artist, album, track, when, *mbids)


def _csv_time(text: str) -> int:
    text = text.strip()
    if not text:
        raise SkipItem("no date")
    if text.isascii() and text.isdigit():
        return checked_unix(text)
    try:
        return text_unix(text, CSV_DATE_FORMATS)
    except SkipItem as skip:
        if skip.reason == OUT_OF_RANGE:  # a date it could read, in the year 3000 say
            raise
        return iso_unix(text)
