"""ListenBrainz: the export zip (`listens/YYYY/M.jsonl` at any depth; `user.json`,
`feedback.jsonl` and the rest are ignored), bare JSON Lines files, and the older export that
is one JSON array of listens (or an API payload holding one).

MBIDs from `additional_info` win and `mbid_mapping` fills the gaps, artist MBIDs included
(Koito's own importer means to do that but drops the result). Artist name→MBID pairs come
from `mbid_mapping.artists`. Client = media player, else submission client.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from koito_import.core.model import Scrobble, Skip
from koito_import.sources.base import ByteCounter, InputError, Item, SourceOptions
from koito_import.sources.fields import (
    SkipItem,
    as_dict,
    checked_unix,
    clean_text,
    convert_each,
    duration_s,
    iso_unix,
    mbid_list,
    mbid_text,
    optional_text,
    required_text,
    text_list,
)
from koito_import.sources.inputs import Input
from koito_import.sources.jsonstream import json_items, json_layout, jsonl_records

# Files of the export that hold no listens.
IGNORED = {"user.json", "feedback.jsonl", "pinned_recording.jsonl", "pinned_recordings.jsonl"}
# Where a JSON file keeps its listens: the old export (a bare array) or an API payload.
LISTEN_LISTS = ("", "payload", "payload.listens", "listens")
# Leading lines that are not JSON before a file is taken for something else than JSON Lines.
NOT_JSONL_AFTER = 10
NOT_JSONL = "not a ListenBrainz JSON Lines file (none of its first {} lines is JSON)"


def accepts(name: str) -> bool:
    parts = name.lower().split("/")
    if parts[-1].endswith(".jsonl") and "listens" in parts[:-1]:
        return True
    return parts[-1].endswith((".json", ".jsonl")) and parts[-1] not in IGNORED


def read_input(inp: Input, counter: ByteCounter, options: SourceOptions) -> Iterator[Item]:
    if inp.name.lower().endswith(".json"):
        return _read_json(inp, counter)
    return _read_jsonl(inp, counter)


def _read_jsonl(inp: Input, counter: ByteCounter) -> Iterator[Item]:
    """A damaged line is a skip, but a file whose first lines are none of them JSON is
    another kind of file (a CSV, say), and an error."""
    unproven: list[Skip] | None = []  # malformed lines before the first line of JSON
    for line, raw in jsonl_records(inp, counter):
        if unproven is not None:
            if isinstance(raw, SkipItem):
                unproven.append(Skip(raw.reason, f"{inp.name} line {line}"))
                if len(unproven) < NOT_JSONL_AFTER:
                    continue
                raise InputError(inp.name, NOT_JSONL.format(len(unproven)))
            yield from unproven
            unproven = None
        try:
            if isinstance(raw, SkipItem):
                raise raw
            scrobble = listen_scrobble(raw)
        except SkipItem as skip:
            yield Skip(skip.reason, f"{inp.name} line {line}")
        else:
            yield scrobble
    if unproven:
        raise InputError(inp.name, NOT_JSONL.format(len(unproven)))


def _read_json(inp: Input, counter: ByteCounter) -> Iterator[Item]:
    found = json_layout(
        inp, lambda prefix, event: prefix in LISTEN_LISTS and event == "start_array"
    )
    if found is None:
        raise InputError(inp.name, "not a ListenBrainz export (no list of listens)")
    raws = json_items(inp, counter, f"{found[0]}.item".lstrip("."))
    yield from convert_each(raws, listen_scrobble, f"{inp.name} listen")


def listen_scrobble(raw: Any) -> Scrobble:
    if not isinstance(raw, dict):
        raise SkipItem("not an object")
    meta = raw.get("track_metadata")
    if not isinstance(meta, dict):
        raise SkipItem("no track_metadata")
    artist = required_text(meta, "artist_name", "artist")
    track = required_text(meta, "track_name", "track title")
    listened_at = _listened_at(raw.get("listened_at"))
    info = as_dict(meta.get("additional_info"))
    mapping = as_dict(meta.get("mbid_mapping"))
    pairs = _artist_pairs(mapping.get("artists")) if mapping else []
    duration = info.get("duration")
    return Scrobble(
        artist,
        track,
        listened_at,
        text_list(info.get("artist_names")),
        (
            mbid_list(info.get("artist_mbids"))
            or mbid_list(mapping.get("artist_mbids"))
            or list(dict.fromkeys(m for _, m in pairs))
        ),
        pairs,
        optional_text(meta, "release_name"),
        _either(info, mapping, "recording_mbid"),
        _either(info, mapping, "release_mbid"),
        (duration is not None and duration_s(duration))
        or duration_s(info.get("duration_ms"), 1000),
        clean_text(info.get("media_player")) or clean_text(info.get("submission_client")),
    )


def _either(info: dict[str, Any], mapping: dict[str, Any], key: str) -> str | None:
    """The MBID `additional_info` gives, else the one `mbid_mapping` gives."""
    value = info.get(key)
    if type(value) is str and (found := mbid_text(value)):
        return found
    value = mapping.get(key)
    return mbid_text(value) if type(value) is str else None


def _listened_at(value: Any) -> int:
    if type(value) is int:
        return checked_unix(value)
    if isinstance(value, str) and not value.strip().isdigit():
        return iso_unix(value)
    return checked_unix(value)


def _artist_pairs(artists: Any) -> list[tuple[str, str]]:
    if not isinstance(artists, list):
        return []
    pairs = []
    for entry in artists:
        if not isinstance(entry, dict):
            continue
        value = entry.get("artist_mbid")
        artist_mbid = mbid_text(value) if type(value) is str else None
        if artist_mbid and (name := clean_text(entry.get("artist_credit_name"))):
            pairs.append((name, artist_mbid))
    return pairs
