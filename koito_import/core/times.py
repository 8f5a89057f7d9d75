"""Times as the command line takes them (--after/--before: unix seconds or an ISO 8601 date/time,
UTC if naive) and as every output shows them (ISO 8601, UTC)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# The last second every output can show (9999-12-31T23:59:59Z); a bound past it is a mistake.
LAST_SHOWABLE = 253_402_300_799
_UNIX = re.compile(r"-?[0-9]+")  # ASCII digits: int() refuses "²", which isdigit() takes


def parse_bound(value: str | None, option: str) -> int | None:
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    if _UNIX.fullmatch(text):
        return _checked_seconds(int(text), option, value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(
            f"{option} {value!r}: use unix seconds or a date like 2024-01-31 or 2024-01-31T18:00"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _checked_seconds(seconds: int, option: str, value: str) -> int:
    """Unix seconds that a date can show; a count of milliseconds (what JavaScript, Java and
    ListenBrainz's API give) is named as such rather than read as the year 55,000."""
    if abs(seconds) <= LAST_SHOWABLE:
        return seconds
    if abs(seconds) // 1000 <= LAST_SHOWABLE:
        raise ValueError(
            f"{option} {value!r} looks like milliseconds: give unix seconds "
            f"({seconds // 1000}) or a date like 2024-01-31"
        )
    raise ValueError(f"{option} {value!r} is out of range: give unix seconds or a date")


def check_window(after: int | None, before: int | None, names: str = "--after/--before") -> None:
    """A window that ends before it begins keeps nothing: that is a mistake on the command
    line (exit 2), not a run that skips every listen."""
    if after is not None and before is not None and after > before:
        first, second = names.split("/")
        raise ValueError(
            f"{first} ({iso(after)}) is later than {second} ({iso(before)}): nothing would be kept"
        )


def iso(unix: int | None) -> str | None:
    """`2024-01-31T18:00:00Z`, or None for no time."""
    if unix is None:
        return None
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
