"""Deliberate differences from Koito, documented in the README ("Proven against Koito").

A difference is accepted when the named rules explain it exactly:
- `feat-and`: Koito splits a feature list on "and" inside words ("Brandon" -> "Br", "on");
  koito-import only on the word. Koito then has the pieces as artists where koito-import has
  the whole name, and the tracks and albums crediting them differ in those names.
- `feat-order`: for an artist string with `feat.` and no artist list, Koito makes the first
  featured artist primary; koito-import the main artist. The same artists are linked, with
  the primary flag on another one of them.
A difference needing both rules is counted under "feat-and+feat-order".
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable

from koito_import.compare.diff import ONLY_OTHER, ONLY_REF, Difference
from koito_import.compare.snapshot import Snapshot

# Koito's featSplitDelimiters (internal/catalog/catalog.go): "and" with no word boundary.
KOITO_FEAT_SPLIT = re.compile(r"(?i)\s*(?:,|&|and|·)\s*")
RULES = ("feat-and", "feat-order")
Links = tuple[tuple[str, bool], ...]


def koito_pieces(name: str) -> list[str]:
    """What Koito's feature-list split makes of a name koito-import keeps whole."""
    return [p.strip() for p in KOITO_FEAT_SPLIT.split(name) if p.strip()]


def _cut_by_koito(name: str) -> bool:
    # Surrounding spaces are not a cut: the pieces come out trimmed.
    return koito_pieces(name) != [name.strip()]


def split_accepted(
    found: list[Difference], rules: list[str], ref: Snapshot, other: Snapshot
) -> tuple[list[Difference], dict[str, int]]:
    kept: list[Difference] = []
    accepted: Counter[str] = Counter()
    ref_names = {a.name for a in ref.artists.values()}
    other_names = {a.name for a in other.artists.values()}
    explain = _Explainer(ref_names, other_names)
    for d in found:
        needed = explain(d)
        if needed is not None and needed <= set(rules):
            accepted["+".join(sorted(needed))] += 1
        else:
            kept.append(d)
    return kept, dict(accepted)


class _Explainer:
    def __init__(self, ref_names: set[str], other_names: set[str]) -> None:
        self.ref_names = ref_names
        self.pieces_of_other = {
            piece for n in other_names if _cut_by_koito(n) for piece in koito_pieces(n)
        }

    def __call__(self, d: Difference) -> frozenset[str] | None:
        handlers: dict[tuple[str, str], Callable[[Difference], frozenset[str] | None]] = {
            ("artist", ONLY_REF): self._only_ref_artist,
            ("artist", ONLY_OTHER): self._only_other_artist,
            ("release", "artists"): self._links,
            ("track", "artists"): self._links,
        }
        handler = handlers.get((d.kind, d.field))
        return handler(d) if handler else None

    def _only_ref_artist(self, d: Difference) -> frozenset[str] | None:
        return frozenset({"feat-and"}) if _unrepr(d.entity) in self.pieces_of_other else None

    def _only_other_artist(self, d: Difference) -> frozenset[str] | None:
        name = _unrepr(d.entity)
        if _cut_by_koito(name) and all(p in self.ref_names for p in koito_pieces(name)):
            return frozenset({"feat-and"})
        return None

    def _links(self, d: Difference) -> frozenset[str] | None:
        assert d.links is not None
        ref, other = d.links
        needed: set[str] = set()
        if any(_cut_by_koito(name) for name, _ in other):
            other = _split_other(other)
            needed.add("feat-and")
        if {n for n, _ in ref} != {n for n, _ in other} or len(ref) != len(other):
            return None
        if ref != other:
            if _primaries(ref) != 1 or _primaries(other) != 1:
                return None
            needed.add("feat-order")
        return frozenset(needed)


def _split_other(links: Links) -> Links:
    """Koito-import's links with each name Koito cuts replaced by Koito's pieces; the primary
    flag stays with the first piece."""
    result = []
    for name, primary in links:
        pieces = koito_pieces(name) if _cut_by_koito(name) else [name]
        result += [(piece, primary and i == 0) for i, piece in enumerate(pieces)]
    return tuple(sorted(result))


def _primaries(links: Links) -> int:
    return sum(primary for _, primary in links)


def _unrepr(text: str) -> str:
    """An artist entity is described as repr(name)."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return value if isinstance(value, str) else text
