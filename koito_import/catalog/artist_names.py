"""Koito's parsing of an artist string into names, used when a scrobble has no name list.

Three deliberate differences from Koito's Go code, all where Koito's own tests do not pin the
behaviour: the main artist comes first (Koito lists artist-string features before it, which
makes a featured artist the primary one); "and" splits a feature list only as a word
(Koito's pattern also cuts "Brandon" into "Br" and "on"); and several separator patterns
split the string together, at every place any of them matches, as one alternation would
(Koito splits the whole string by each pattern in turn, so "A ; B x C" with the patterns `;`
and `x` gives "A", "B x C", "A ; B" and "C": artists that overlap and do not exist).
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
    if "feat." not in text.lower():  # every form holds it: most texts are done here
        return text, found
    for pattern in (*BRACKETED_FEAT, TRAILING_FEAT):
        match = pattern.search(text)
        if match:
            text = text.replace(match.group(0), "", 1)
            found.extend(FEAT_LIST_SPLIT.split(match.group(1)))
    return text, found


def _main_artists(artist: str, separators: Iterable[re.Pattern[str]]) -> list[str]:
    """`artist` cut wherever any separator matches: at each point the leftmost match of all
    patterns (the earlier pattern on a tie), as `p1|p2|...` would; an empty match cuts
    nothing. Capture groups in a pattern are not names."""
    patterns = list(separators)
    parts, start, at = [], 0, 0
    while True:
        found = [m for m in (_next_cut(p, artist, at) for p in patterns) if m is not None]
        if not found:
            break
        cut = min(found, key=lambda m: m.start())  # min keeps the first of equals
        parts.append(artist[start : cut.start()])
        start = at = cut.end()
    return [*parts, artist[start:]]


def _next_cut(pattern: re.Pattern[str], text: str, at: int) -> re.Match[str] | None:
    while (match := pattern.search(text, at)) is not None and match.end() == match.start():
        at = match.start() + 1
        if at > len(text):
            return None
    return match


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
