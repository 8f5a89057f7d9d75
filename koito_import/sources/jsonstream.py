"""Streaming JSON and JSON Lines reading: items are parsed one at a time, so exports larger
than memory can be read, and parse errors become InputError (or a SkipItem for one line)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import ijson
import orjson

from koito_import.sources.base import ByteCounter, InputError
from koito_import.sources.fields import SkipItem
from koito_import.sources.inputs import Input

# A JSON Lines record longer than this is not a listen; reading it whole would cost memory.
MAX_LINE_BYTES = 1 << 20
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


TRUNCATED = "ends in the middle of a line: the file looks truncated, nothing was imported"


def jsonl_records(inp: Input, counter: ByteCounter) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) per non-blank line; a bad line yields a SkipItem instead,
    because one damaged line must not cost the rest of the file."""
    with inp.open(counter) as stream:
        number = 0
        while line := stream.readline(MAX_LINE_BYTES):
            number += 1
            if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
                while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass
                yield number, SkipItem("line too long")
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                if not line.strip():
                    continue
                value = _parse_line(line)
                if isinstance(value, SkipItem) and not line.endswith(b"\n"):
                    # The last line, unreadable and with no line end: the file was cut
                    # (a copy still under way, a download that stopped), not one bad line.
                    raise InputError(inp.name, f"{TRUNCATED} (line {number} is cut off)") from None
            yield number, value


def _parse_line(line: bytes) -> Any:
    """A line orjson refused: it rejects lone surrogate escapes and invalid UTF-8 that the
    stdlib tolerates (the names are repaired later by clean_text)."""
    try:
        return json.loads(line.decode("utf-8", "replace"))
    except ValueError:
        return SkipItem("malformed JSON line")
