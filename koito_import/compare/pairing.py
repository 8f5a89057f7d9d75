"""Pairing the entities of two databases by content, most specific key first.

Each level is a key function giving an entity's content key in the reference database's
terms (links to other entities are followed through the pairs made so far). Entities left over
by one level go on to the next, looser one; at the loosest levels only a key held by exactly
one entity on each side pairs, so a pair is never a guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
KeyFn = Callable[[int, T], Hashable | None]  # None: this level cannot key the entity


@dataclass(slots=True)
class Level(Generic[T]):
    ref_key: KeyFn[T]  # for the reference side
    other_key: KeyFn[T]  # for the other side (links translated into reference ids)
    unique_only: bool = False


@dataclass(slots=True)
class Pairs:
    to_ref: dict[int, int] = field(default_factory=dict)  # other id -> reference id
    ref_only: list[int] = field(default_factory=list)
    other_only: list[int] = field(default_factory=list)

    def ref_id(self, other_id: int) -> int | None:
        return self.to_ref.get(other_id)


def pair(
    ref: dict[int, T], other: dict[int, T], levels: Sequence[Level[T]], order: Callable[[T], str]
) -> Pairs:
    """Pair `other`'s entities with `ref`'s; `order` breaks ties between equal keys."""
    left_ref = dict(ref)
    left_other = dict(other)
    result = Pairs()
    for level in levels:
        by_key_ref = _group(left_ref, level.ref_key, order)
        by_key_other = _group(left_other, level.other_key, order)
        for key, ref_ids in by_key_ref.items():
            other_ids = by_key_other.get(key)
            if not other_ids:
                continue
            if level.unique_only and (len(ref_ids) > 1 or len(other_ids) > 1):
                continue
            for ref_id, other_id in zip(ref_ids, other_ids, strict=False):
                result.to_ref[other_id] = ref_id
                del left_ref[ref_id]
                del left_other[other_id]
    result.ref_only = sorted(left_ref, key=lambda i: order(ref[i]))
    result.other_only = sorted(left_other, key=lambda i: order(other[i]))
    return result


def _group(
    items: dict[int, T], key_fn: KeyFn[T], order: Callable[[T], str]
) -> dict[Hashable, list[int]]:
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for id_, item in items.items():
        key = key_fn(id_, item)
        if key is not None:
            groups[key].append(id_)
    for ids in groups.values():
        ids.sort(key=lambda i: order(items[i]))
    return groups
