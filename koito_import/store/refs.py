"""Turning a BatchWrite's references (negative = new in this batch) into row ids."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from koito_import.core.model import Alias
from koito_import.store.base import Written


class HasAliases(Protocol):
    aliases: list[Alias]


class RefMap:
    """Row ids for a batch's new artists, releases and tracks, in creation order."""

    def __init__(self, artists: list[int], releases: list[int], tracks: list[int]) -> None:
        self.artists = artists
        self.releases = releases
        self.tracks = tracks

    @property
    def new_tracks(self) -> list[int]:
        """Ids of the new tracks: reference `r < 0` is `new_tracks[~r]` (per-listen loops)."""
        return self.tracks

    def artist(self, ref: int) -> int:
        return ref if ref > 0 else self.artists[-ref - 1]

    def release(self, ref: int) -> int:
        return ref if ref > 0 else self.releases[-ref - 1]

    def track(self, ref: int) -> int:
        return ref if ref > 0 else self.tracks[-ref - 1]

    def written(self, listens: list[tuple[int, int]]) -> Written:
        return Written(listens, self.artists, self.releases, self.tracks)

    @staticmethod
    def aliases(
        entities: Sequence[HasAliases], resolve: Callable[[int], int]
    ) -> Iterator[tuple[int, str, str, bool]]:
        """(entity id, alias, source, is_primary) rows, one alias text once per entity."""
        for index, entity in enumerate(entities):
            entity_id = resolve(-index - 1)
            seen: set[str] = set()
            for alias in entity.aliases:
                if alias.alias not in seen:
                    seen.add(alias.alias)
                    yield entity_id, alias.alias, alias.source, alias.is_primary
