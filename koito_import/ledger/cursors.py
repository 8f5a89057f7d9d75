"""What each sync has fetched and committed (migration 0005): spans of time per service,
server and account, and the windows the next sync must fetch.

A span `(low, high)` (unix seconds, both included) says: every listen of the account in it is
in the database. A sync adds a span in the same transaction as the batch it covers, so a span
never claims a listen that was not committed, and a sync killed at any moment leaves spans
that only cover what it wrote. The next sync fetches the gaps between spans, and the newest
`overlap` seconds again (a service accepts scrobbles late: Last.fm two weeks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from koito_import.ledger.sql import Sql

Span = tuple[int, int]
TABLE = "koito_import_sync_ranges"


@dataclass(frozen=True, slots=True)
class SyncKey:
    """Whose history: the service, the server (its URL, no secret) and the account."""

    service: str
    server: str
    account: str


def merged(spans: list[Span]) -> list[Span]:
    """The same seconds as `spans`, as few spans as possible, oldest first."""
    out: list[Span] = []
    for low, high in sorted(spans):
        if out and low <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def windows(spans: list[Span], origin: int, upper: int, overlap: int) -> list[Span]:
    """The windows a sync fetches, newest first: what of `origin..upper` no span covers, the
    newest span's last `overlap` seconds counted as not covered."""
    known = merged(spans)
    if known:
        low, high = known[-1]
        known[-1:] = [(low, high - overlap)] if high - overlap >= low else []
    gaps: list[Span] = []
    start = origin
    for low, high in known:
        if low > start:
            gaps.append((start, min(low - 1, upper)))
        start = max(start, high + 1)
        if start > upper:
            break
    if start <= upper:
        gaps.append((start, upper))
    return [(low, high) for low, high in reversed(gaps) if low <= high]


def covered(conn: Any, sql: Sql, key: SyncKey) -> list[Span]:
    rows = conn.execute(
        sql(f"SELECT low, high FROM {TABLE} WHERE service = %s AND server = %s AND account = %s"),
        (key.service, key.server, key.account),
    ).fetchall()
    return [(int(low), int(high)) for low, high in rows]


def claim(conn: Any, sql: Sql, key: SyncKey, span: Span) -> None:
    """Record `span` as committed, merged with the account's spans (inside the caller's
    transaction: the batch's own)."""
    spans = merged([*covered(conn, sql, key), span])
    where = "service = %s AND server = %s AND account = %s"
    conn.execute(sql(f"DELETE FROM {TABLE} WHERE {where}"), (key.service, key.server, key.account))
    sql.many(
        conn,
        f"INSERT INTO {TABLE} (service, server, account, low, high) VALUES (%s, %s, %s, %s, %s)",
        [(key.service, key.server, key.account, low, high) for low, high in spans],
    )
