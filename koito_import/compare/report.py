"""Differences as text: grouped by kind and field, listens counted per track."""

from __future__ import annotations

from collections import Counter, defaultdict

from koito_import.compare.diff import Difference


def render(kept: list[Difference], accepted: dict[str, int], limit: int = 50) -> str:
    lines: list[str] = []
    groups: dict[tuple[str, str], list[Difference]] = defaultdict(list)
    for d in kept:
        groups[(d.kind, d.field)].append(d)
    for (kind, field), items in sorted(groups.items()):
        lines.append(f"== {kind}: {field} ({len(items)})")
        if kind == "listen":
            per_track = Counter(_listen_group(d) for d in items)
            shown = [f"  {n} x {what}" for what, n in per_track.most_common()]
        else:
            shown = [f"  {d}" for d in sorted(items, key=str)]
        lines += shown[:limit]
        if len(shown) > limit:
            lines.append(f"  … {len(shown) - limit} more")
    for rule, n in sorted(accepted.items()):
        lines.append(f"accepted ({rule}): {n} differences")
    lines.append("equal" if not kept else f"{len(kept)} differences")
    return "\n".join(lines)


def _listen_group(d: Difference) -> str:
    # "user@time track…": group by track (and field values), not by time
    who, _, track = d.entity.partition(" ")
    user = who.rsplit("@", 1)[0]
    suffix = f": {d.ref} != {d.other}" if d.ref or d.other else ""
    return f"{user} {track}{suffix}"
