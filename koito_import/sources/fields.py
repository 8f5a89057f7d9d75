"""The fields of one exported listen, cleaned and checked: names, MBIDs, durations and
times. A listen that cannot be used raises SkipItem, which the reader turns into a Skip."""

from __future__ import annotations

import functools
import math
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from koito_import.core.model import Scrobble, Skip
from koito_import.sources.base import Item

# Clocks of scrobbling devices drift; a listen more than a day in the future is an error.
FUTURE_SLACK_S = 86_400
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Longer than a week is a broken value, not a track (and would overflow Koito's int column).
MAX_DURATION_S = 7 * 86_400
_SURROGATES = re.compile("[\ud800-\udfff]")
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
NIL_UUID = "00000000-0000-0000-0000-000000000000"
# ASCII digits only: str.isdigit() also takes "²", which int() then refuses (a ValueError
# that would abort the whole file instead of skipping one listen).
_UNIX_TEXT = re.compile(r"-?[0-9]+")


class SkipItem(Exception):
    """Raised inside a reader's item conversion; becomes a Skip with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def convert_each(
    raws: Iterable[Any], convert: Callable[[Any], Scrobble], label: str
) -> Iterator[Item]:
    """Each raw item as a Scrobble, or as a Skip at "`label` #n" (counted from 1)."""
    for index, raw in enumerate(raws, 1):
        try:
            yield convert(raw)
        except SkipItem as skip:
            yield Skip(skip.reason, f"{label} #{index}")


def clean_text(value: Any) -> str | None:
    """A usable name, or None: not text, or blank. NULs go (Postgres text rejects them),
    lone surrogates become U+FFFD (they cannot be encoded). Names are kept whole however long
    (sources.names skips a listen naming something Koito's tables cannot hold)."""
    if type(value) is str:  # nearly every name: printable (so no NUL or surrogate), not blank
        if value.isprintable() and value and value[0] != " ":
            return value
    elif not isinstance(value, str):
        return None
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii() and _SURROGATES.search(value):
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if not value.strip():
        return None
    return value


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


def mbid(value: Any) -> str | None:
    """The canonical lower-case form of a MusicBrainz id; None for anything invalid or nil."""
    return mbid_text(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=1 << 16)  # an export names the same recordings again and again
def mbid_text(value: str) -> str | None:
    """`mbid` of a str, without a Python call once seen (readers call it in their loops)."""
    if _CANONICAL_UUID.match(value):  # nearly every MBID; uuid.UUID is the slow part
        return None if value == NIL_UUID else value
    try:
        parsed = uuid.UUID(value.strip())
    except ValueError:
        return None
    return None if parsed.int == 0 else str(parsed)


def mbid_list(values: Any) -> list[str]:
    if not isinstance(values, list) or not values:
        return []
    return list(dict.fromkeys([m for v in values if type(v) is str and (m := mbid_text(v))]))


def duration_s(value: Any, per_second: int = 1) -> int:
    """A track length in whole seconds from a number of `per_second` units; 0 when unknown."""
    if value is None:
        return 0
    if type(value) is int:  # nearly every length (bool is not int by exact type)
        seconds = value // per_second
        return seconds if 0 <= seconds <= MAX_DURATION_S else 0
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0
    seconds = int(value // per_second)
    return seconds if 0 <= seconds <= MAX_DURATION_S else 0


def checked_unix(value: Any) -> int:
    """Unix seconds from a number or a string of digits; SkipItem when absent or absurd."""
    if type(value) is int and 0 < value <= LATEST_UNIX:
        return value  # nearly every time
    if isinstance(value, str) and _UNIX_TEXT.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SkipItem("no valid time")
    if not math.isfinite(value):
        raise SkipItem("no valid time")
    return _in_range(math.floor(value))


OUT_OF_RANGE = "time out of range"
# The latest time accepted; a run lasts minutes, the slack is a day.
LATEST_UNIX = int(time.time()) + FUTURE_SLACK_S


def _in_range(seconds: int) -> int:
    if seconds <= 0 or seconds > LATEST_UNIX:
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
    return _datetime_unix(parsed)


def text_unix(value: Any, formats: tuple[str, ...]) -> int:
    """Unix seconds from a UTC time in one of the strptime formats."""
    if isinstance(value, str):
        for fmt in formats:
            try:
                return _datetime_unix(datetime.strptime(value.strip(), fmt))
            except ValueError:
                continue
    raise SkipItem("no valid time")


def _datetime_unix(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Integer arithmetic: floats would turn .999999 into the next second.
    return _in_range((moment - EPOCH) // timedelta(seconds=1))
