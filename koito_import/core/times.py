"""Times as the command line takes them (--after/--before: unix seconds or an ISO 8601 date/time,
UTC if naive) and as every output shows them (ISO 8601, UTC)."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_bound(value: str | None, option: str) -> int | None:
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(
            f"{option} {value!r}: use unix seconds or a date like 2024-01-31 or 2024-01-31T18:00"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


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
