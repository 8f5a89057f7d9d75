"""Helpers the source readers share: inputs (files or zip members), clean names, MBIDs,
times, and streaming JSON / JSON Lines iteration that turns parse errors into InputError."""

from __future__ import annotations

import functools
import io
import json
import math
import re
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import ijson
import orjson

from koito_import.sources.base import ByteCounter, CountingReader, InputError, open_counted

# Postgres refuses btree index rows over 2704 bytes and aliases are part of a primary key:
# 500 characters stay below that even when every character takes 4 bytes in UTF-8.
MAX_NAME_CHARS = 500
# A JSON Lines record longer than this is not a listen; reading it whole would cost memory.
MAX_LINE_BYTES = 1 << 20
# Clocks of scrobbling devices drift; a listen more than a day in the future is an error.
FUTURE_SLACK_S = 86_400
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Longer than a week is a broken value, not a track (and would overflow Koito's int column).
MAX_DURATION_S = 7 * 86_400
_SURROGATES = re.compile("[\ud800-\udfff]")
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
NIL_UUID = "00000000-0000-0000-0000-000000000000"


class SkipItem(Exception):
    """Raised inside a reader's item conversion; becomes a Skip with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Input:
    """Something a reader can open, perhaps more than once: a file or a zip member."""

    name: str  # how messages name it: "path" or "archive.zip:member"
    open: Callable[[ByteCounter], BinaryIO]


def file_input(path: Path) -> Input:
    return Input(str(path), lambda counter: open_counted(path, counter))


# --- names -------------------------------------------------------------------------------


def clean_text(value: Any) -> str | None:
    """A usable name, or None: not text, or blank. NULs go (Postgres text rejects them),
    lone surrogates become U+FFFD (they cannot be encoded), overlong names are cut."""
    if not isinstance(value, str):
        return None
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii() and _SURROGATES.search(value):
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if not value.strip():
        return None
    return value[:MAX_NAME_CHARS]


def required_text(mapping: Mapping[str, Any], key: str, what: str) -> str:
    value = mapping.get(key)
    text = clean_text(value)
    if text is not None:
        return text
    if value is None or isinstance(value, str):
        raise SkipItem(f"no {what}")
    raise SkipItem(f"{what} is not text")


def optional_text(mapping: Mapping[str, Any], key: str) -> str:
    return clean_text(mapping.get(key)) or ""


def text_list(values: Any) -> list[str]:
    if not isinstance(values, list):
        return []
    return [t for t in (clean_text(v) for v in values) if t is not None]


def as_dict(value: Any) -> dict[str, Any]:
    """A nested object, or {} when it is missing, null or of another type."""
    return value if isinstance(value, dict) else {}


# --- MBIDs -------------------------------------------------------------------------------


def mbid(value: Any) -> str | None:
    """The canonical lower-case form of a MusicBrainz id; None for anything invalid or nil."""
    if not isinstance(value, str):
        return None
    if _CANONICAL_UUID.match(value):  # nearly every MBID; uuid.UUID is the slow part
        return None if value == NIL_UUID else value
    return _parsed_mbid(value)


@functools.lru_cache(maxsize=4096)
def _parsed_mbid(value: str) -> str | None:
    try:
        parsed = uuid.UUID(value.strip())
    except ValueError:
        return None
    return None if parsed.int == 0 else str(parsed)


def mbid_list(values: Any) -> list[str]:
    if not isinstance(values, list):
        return []
    found = (mbid(v) for v in values)
    return list(dict.fromkeys(m for m in found if m is not None))


def duration_s(value: Any, per_second: int = 1) -> int:
    """A track length in whole seconds from a number of `per_second` units; 0 when unknown."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0
    seconds = int(value // per_second)
    return seconds if 0 <= seconds <= MAX_DURATION_S else 0


# --- times -------------------------------------------------------------------------------


def checked_unix(value: Any) -> int:
    """Unix seconds from a number or a string of digits; SkipItem when absent or absurd."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SkipItem("no valid time")
    if not math.isfinite(value):
        raise SkipItem("no valid time")
    return in_range(math.floor(value))


OUT_OF_RANGE = "time out of range"


def in_range(seconds: int) -> int:
    if seconds <= 0 or seconds > time.time() + FUTURE_SLACK_S:
        raise SkipItem(OUT_OF_RANGE)
    return seconds


def iso_unix(value: Any) -> int:
    """Unix seconds from an ISO 8601 / RFC 3339 time ("2025-04-28T21:04:35Z"); naive is UTC."""
    if not isinstance(value, str):
        raise SkipItem("no valid time")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise SkipItem("no valid time") from None
    return datetime_unix(parsed)


def text_unix(value: Any, formats: tuple[str, ...]) -> int:
    """Unix seconds from a UTC time in one of the strptime formats."""
    if isinstance(value, str):
        for fmt in formats:
            try:
                return datetime_unix(datetime.strptime(value.strip(), fmt))
            except ValueError:
                continue
    raise SkipItem("no valid time")


def datetime_unix(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Integer arithmetic: floats would turn .999999 into the next second.
    return in_range((moment - EPOCH) // timedelta(seconds=1))


# --- streaming JSON ------------------------------------------------------------------------

# yajl (ijson's fast back end) decodes text it let through as UTF-8 only afterwards: raw
# surrogate bytes (CESU-8) then fail there, outside its own error type.
JSON_ERRORS = (ijson.JSONError, UnicodeDecodeError)
# An escaped UTF-16 surrogate, with the even run of backslashes before it (an odd run would
# make it literal text), and the low half that may follow a high one.
_SURROGATE_ESCAPE = re.compile(
    rb"(?<!\\)((?:\\\\)*)(\\u[dD][89a-fA-F][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
)
_HIGH_ESCAPE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")
BACKSLASH = ord("\\")
_LONGEST_PAIR = 12  # bytes of r"\ud83d\ude00"


class SurrogateRepair:
    """A binary stream for ijson with unpaired surrogate escapes rewritten to \\ufffd.

    yajl turns an unpaired high surrogate into "?", two in a row into a wrong character, and
    an unpaired low one into bytes Python cannot decode, which ends the parse of the whole
    file; JSON encoders write such escapes for broken names (JavaScript strings, Python's
    json). Escapes near the end of a chunk wait for the next one, so a pair split by a read
    boundary is still seen whole."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._held = b""

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        while True:
            chunk = self._raw.read(size if size > 0 else 1 << 16)
            data = self._held + chunk
            if not chunk:
                self._held = b""
                return _repair_surrogates(data)
            cut = _safe_end(data)
            self._held = data[cut:]
            if cut:
                return _repair_surrogates(data[:cut])


def _safe_end(data: bytes) -> int:
    """Where `data` can be cut without splitting an escape, a pair or a backslash run."""
    cut = data.find(b"\\", max(0, len(data) - _LONGEST_PAIR))
    if cut < 0:
        cut = len(data)
    if cut >= 6 and _HIGH_ESCAPE.match(data, cut - 6, cut):  # its low half may follow
        cut -= 6
    while cut and data[cut - 1] == BACKSLASH:
        cut -= 1
    return cut


def _repair_surrogates(data: bytes) -> bytes:
    if b"\\ud" not in data and b"\\uD" not in data:
        return data
    return _SURROGATE_ESCAPE.sub(_repair_escape, data)


def _repair_escape(match: re.Match[bytes]) -> bytes:
    backslashes, first, low = match.groups()
    if low and first[3:4] in b"89abAB":
        return match.group(0)  # a proper pair
    return backslashes + b"\\ufffd" + (b"\\ufffd" if low else b"")


def json_problem(exc: Exception) -> str:
    """yajl's messages span several lines with a caret; the first line says it."""
    text = str(exc).strip().splitlines()
    return f"malformed JSON ({text[0] if text else type(exc).__name__})"


def json_items(inp: Input, counter: ByteCounter, prefix: str) -> Iterator[Any]:
    """The values at `prefix` (ijson syntax), streamed; a parse error is an InputError
    that says how many items were read before it."""
    count = 0
    with inp.open(counter) as stream:
        try:
            for value in ijson.items(SurrogateRepair(stream), prefix, use_float=True):
                count += 1
                yield value
        except JSON_ERRORS as exc:
            where = f"{inp.name} after item #{count}" if count else inp.name
            raise InputError(where, json_problem(exc)) from exc


def json_layout(inp: Input, wanted: Callable[[str, str], bool]) -> tuple[str, str] | None:
    """The first (prefix, event) of the document for which `wanted` is true, reading only
    as far as needed: the readers use it to find where the list of items starts."""
    with inp.open(ByteCounter()) as stream:
        try:
            for prefix, event, _ in ijson.parse(SurrogateRepair(stream)):
                if wanted(prefix, event):
                    return prefix, event
        except JSON_ERRORS as exc:
            raise InputError(inp.name, json_problem(exc)) from exc
    return None


def json_header(inp: Input, stop: str) -> dict[str, Any]:
    """The scalar top-level fields that come before the key `stop` (e.g. an export's version)."""
    header: dict[str, Any] = {}
    with inp.open(ByteCounter()) as stream:
        try:
            for prefix, event, value in ijson.parse(SurrogateRepair(stream)):
                if prefix == stop:
                    break
                if "." not in prefix and event in ("string", "number", "boolean", "null"):
                    header[prefix] = value
        except JSON_ERRORS as exc:
            raise InputError(inp.name, json_problem(exc)) from exc
    return header


def jsonl_records(inp: Input, counter: ByteCounter) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) per non-blank line; a bad line yields a SkipItem instead,
    because one damaged line must not cost the rest of the file."""
    with inp.open(counter) as stream:
        for number, line in enumerate(_bounded_lines(stream), 1):
            if line is None:
                yield number, SkipItem("line too long")
            elif line.strip():
                yield number, _parse_line(line)


def _bounded_lines(stream: BinaryIO) -> Iterator[bytes | None]:
    while True:
        line = stream.readline(MAX_LINE_BYTES)
        if not line:
            return
        if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line


def _parse_line(line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        pass
    # orjson rejects lone surrogate escapes and invalid UTF-8 that the stdlib tolerates;
    # the names are repaired later by clean_text.
    try:
        return json.loads(line.decode("utf-8", "replace"))
    except ValueError:
        return SkipItem("malformed JSON line")


def head_bytes(inp: Input, size: int = 1 << 16) -> bytes:
    """The first bytes of an input, for detection."""
    with inp.open(ByteCounter()) as stream:
        return stream.read(size)


def text_stream(stream: BinaryIO) -> io.TextIOWrapper:
    """Text for the csv module: a BOM is dropped and undecodable bytes become U+FFFD."""
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")


# --- zip archives --------------------------------------------------------------------------

# What reading a damaged member can raise: bad CRC or headers, truncated or corrupt deflate
# data, encryption, or a compression method Python lacks.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


def is_zip(path: Path) -> bool:
    if path.suffix.lower() == ".zip":
        return True
    try:
        with path.open("rb") as stream:
            return stream.read(4) in _ZIP_MAGIC
    except OSError:
        return False


def zip_members(path: Path) -> list[zipfile.ZipInfo]:
    """The archive's files, without directories and the junk macOS adds when zipping."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(str(path), f"not a readable zip archive ({exc})") from exc
    members = [i for i in infos if not i.is_dir() and not _is_junk(i.filename)]
    if not members:
        raise InputError(str(path), "the zip archive holds no files")
    return members


def _is_junk(name: str) -> bool:
    parts = name.split("/")
    return parts[0] == "__MACOSX" or parts[-1].startswith(".")


def member_input(path: Path, info: zipfile.ZipInfo) -> Input:
    """A zip member as an Input; the counter sees uncompressed bytes."""
    name = f"{path}:{info.filename}"

    def open_member(counter: ByteCounter) -> BinaryIO:
        try:
            with zipfile.ZipFile(path) as archive:
                # The member keeps the archive's file open after the ZipFile is closed.
                raw = archive.open(info)
        except ZIP_ERRORS as exc:
            raise InputError(name, f"cannot open the zip member ({exc})") from exc
        return io.BufferedReader(CountingReader(raw, counter), buffer_size=1 << 16)

    return Input(name, open_member)
