"""On SQLite a run's claim on an entity can go stale: SQLite gives a new row the highest id
plus one, so once Koito deletes or merges away the entity with the highest id, the next
entity anyone creates takes that id again. (PostgreSQL's sequences never give an id twice.)

So on SQLite the ledger keeps, beside each entity a run created, a digest of the name it had
then (`name_hash`, migration 0005), written in the batch's transaction; an `undo` first drops
the claims of the run on entities none of whose aliases has that name any more: they are not
the run's, and are neither removed nor counted. (An entity renamed in Koito keeps its old name
as an alias; one whose old name was deleted too is left alone, never removed by mistake.)
Claims recorded before the digest existed are trusted as before.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from koito_import.store.base import WithinWrite, Written

ALIASES = {"artist": "artist_aliases", "release": "release_aliases", "track": "track_aliases"}
FUNCTION = "koito_import_name_hash"
# The rows of the run being written: it is the newest run (imports hold the import lock).
STAMP = """
UPDATE koito_import_run_entities SET name_hash = (
    SELECT {fn}(alias) FROM {aliases} WHERE {kind}_id = entity_id AND is_primary LIMIT 1)
WHERE run_id = (SELECT max(id) FROM koito_import_runs) AND kind = '{kind}'
  AND entity_id IN (SELECT value FROM json_each(?))"""
STALE = """
DELETE FROM koito_import_run_entities
WHERE kind = '{kind}' AND name_hash IS NOT NULL AND {mine}
  AND entity_id IN (SELECT id FROM {kind}s)
  AND NOT EXISTS (SELECT 1 FROM {aliases} a
                  WHERE a.{kind}_id = entity_id AND {fn}(a.alias) = name_hash)"""


def name_hash(text: str) -> int:
    return zlib.crc32(text.casefold().encode())


def stamping(kind: str, then: WithinWrite | None) -> WithinWrite | None:
    """The batch's `within`: `then` (the ledger's record), then, on SQLite, the digests."""
    if kind != "sqlite" or then is None:
        return then

    def within(conn: Any, written: Written) -> None:
        then(conn, written)
        created = {"artist": written.artists, "release": written.releases, "track": written.tracks}
        if any(created.values()):
            conn.create_function(FUNCTION, 1, name_hash, deterministic=True)
            for what, ids in created.items():
                if ids:
                    sql = STAMP.format(fn=FUNCTION, aliases=ALIASES[what], kind=what)
                    conn.execute(sql, (json.dumps(ids),))

    return within


def drop_stale(conn: Any, mine: str, params: tuple[Any, ...]) -> None:
    """SQLite: drop the claims (`mine`: a condition on the ledger's rows, with `params`) on
    entities that are no longer the ones claimed."""
    conn.create_function(FUNCTION, 1, name_hash, deterministic=True)
    for what, aliases in ALIASES.items():
        sql = STALE.format(kind=what, aliases=aliases, fn=FUNCTION, mine=mine)
        conn.execute(sql, params)
