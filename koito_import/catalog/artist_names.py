"""Koito's parsing of an artist string into names, used when a scrobble has no name list.

Two deliberate differences from Koito's Go code, both where Koito's own tests do not pin the
behaviour: the main artist comes first (Koito lists artist-string features before it, which
makes a featured artist the primary one), and "and" splits a feature list only as a word
(Koito's pattern also cuts "Brandon" into "Br" and "on").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

DEFAULT_SEPARATORS = r"\s+·\s+"

BRACKETED_FEAT = (
    re.compile(r"\(feat\. ([^)]*)\)", re.IGNORECASE),
    re.compile(r"\[feat\. ([^\]]*)\]", re.IGNORECASE),
)
TRAILING_FEAT = re.compile(r"feat\. ([^()\[\]]+)$", re.IGNORECASE)
FEAT_LIST_SPLIT = re.compile(r"\s*(?:,|&|\band\b|·)\s*", re.IGNORECASE)


def compile_separators(spec: str | None) -> list[re.Pattern[str]]:
    """KOITO_ARTIST_SEPARATORS_REGEX: patterns joined by ';;'."""
    patterns = spec.split(";;") if spec else [DEFAULT_SEPARATORS]
    return [re.compile(p) for p in patterns]


def _features(text: str) -> tuple[str, list[str]]:
    """The text without its feat. sections, and the names those sections list."""
    found: list[str] = []
    for pattern in (*BRACKETED_FEAT, TRAILING_FEAT):
        match = pattern.search(text)
        if match:
            text = text.replace(match.group(0), "", 1)
            found.extend(FEAT_LIST_SPLIT.split(match.group(1)))
    return text, found


def _main_artists(artist: str, separators: Iterable[re.Pattern[str]]) -> list[str]:
    split = [part for sep in separators for part in sep.split(artist) if part != artist]
    return split or [artist]


def parse_artists(artist: str, title: str, separators: Iterable[re.Pattern[str]]) -> list[str]:
    """Names credited by `artist` and `title`: main artist(s), then every featured artist."""
    artist, artist_features = _features(artist)
    _, title_features = _features(title)
    names: dict[str, None] = {}
    for name in (*_main_artists(artist, separators), *artist_features, *title_features):
        name = name.strip()
        if name:
            names.setdefault(name)
    return list(names)
