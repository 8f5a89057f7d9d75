"""A listen to the second replaces the same play stored to the minute (catalog.minutes).

Inside the batch's transaction, after its listens are in: the minute listens go, then the
entities only they used that a run of koito-import created (the ledger says which: anything
else, Koito's own, stays): tracks no listen is on, releases no track is on, artists no track
or release names. So the database is the one importing the exports the other way round gives,
where the minute listens never made those entities. The ledger forgets both.
"""

from __future__ import annotations

from typing import Any

from koito_import.core.model import MINUTE_CLIENT
from koito_import.ledger.sql import Sql
from koito_import.store.base import WithinWrite, Written

# Only runs' rows: SQLite's ledger keys start with run_id, so this finds them by key.
RUNS = "run_id IN (SELECT id FROM koito_import_runs)"


def replacing(kind: str, replaced: list[tuple[int, int]], then: WithinWrite | None) -> Any:
    """The batch's `within` (store.base.WithinWrite): the replacement first, then `then`."""
    if not replaced:
        return then
    sql = Sql(kind)

    def within(conn: Any, written: Written) -> None:
        _Replace(sql, conn).apply(replaced)
        if then is not None:
            then(conn, written)

    return within


class _Replace:
    def __init__(self, sql: Sql, conn: Any) -> None:
        self.sql = sql
        self.conn = conn

    def _ids(self, statement: str, *params: Any) -> list[int]:
        return [r[0] for r in self.conn.execute(self.sql(statement), params).fetchall()]

    def apply(self, pairs: list[tuple[int, int]]) -> None:
        tracks = sorted({t for t, _ in pairs})
        among = f"IN ({', '.join('%s' for _ in tracks)})"
        releases = self._ids(f"SELECT DISTINCT release_id FROM tracks WHERE id {among}", *tracks)
        artists = self._ids(
            f"SELECT DISTINCT artist_id FROM artist_tracks WHERE track_id {among}", *tracks
        )
        self._delete_listens(pairs)
        gone = {
            "track": self._delete(
                "tracks", "track", tracks, "SELECT 1 FROM listens l WHERE l.track_id = x.id"
            ),
            "release": self._delete(
                "releases", "release", releases, "SELECT 1 FROM tracks t WHERE t.release_id = x.id"
            ),
            "artist": self._delete(
                "artists",
                "artist",
                artists,
                "SELECT 1 FROM artist_tracks t WHERE t.artist_id = x.id"
                " UNION ALL SELECT 1 FROM artist_releases r WHERE r.artist_id = x.id",
            ),
        }
        for kind, ids in gone.items():
            self._forget_entities(kind, ids)

    def _delete(self, table: str, kind: str, ids: list[int], used: str) -> list[int]:
        """Delete the entities of `ids` a run created that nothing uses; return their ids."""
        if not ids:
            return []
        mine = f"SELECT entity_id FROM ({self.sql.entities('kind = %s')}) e"
        return self._ids(
            f"DELETE FROM {table} WHERE id IN ({', '.join('%s' for _ in ids)})"
            f" AND id IN ({mine}) AND NOT EXISTS ({used.replace('x.id', f'{table}.id')})"
            " RETURNING id",
            *ids,
            kind,
        )

    def _delete_listens(self, pairs: list[tuple[int, int]]) -> None:
        tracks, times = [t for t, _ in pairs], [s for _, s in pairs]
        if self.sql.pg:
            self.conn.execute(
                "DELETE FROM listens l USING unnest(%s::int[], %s::bigint[]) p(t, s)"
                " WHERE l.track_id = p.t AND l.listened_at = to_timestamp(p.s)"
                " AND l.client = %s",
                (tracks, times, MINUTE_CLIENT),
            )
            # The run that inserted each keeps its (track, time) in one row of arrays.
            keep = "WHERE (u.t, u.s) NOT IN (SELECT * FROM unnest(%s::int[], %s::bigint[]))"
            each = "FROM unnest(track_ids, listened_at) WITH ORDINALITY u(t, s, o)"
            self.conn.execute(
                f"UPDATE koito_import_run_listens SET"
                f" track_ids = ARRAY(SELECT u.t {each} {keep} ORDER BY u.o),"
                f" listened_at = ARRAY(SELECT u.s {each} {keep} ORDER BY u.o)"
                " WHERE track_ids && %s::int[]",
                (tracks, times, tracks, times, tracks),
            )
            self.conn.execute("DELETE FROM koito_import_run_listens WHERE track_ids = '{}'")
            return
        self.conn.executemany(
            "DELETE FROM listens WHERE track_id = ? AND listened_at = ? AND client = ?",
            [(t, s, MINUTE_CLIENT) for t, s in pairs],
        )
        self.conn.executemany(
            f"DELETE FROM koito_import_run_listens WHERE {RUNS} AND track_id = ?"
            " AND listened_at = ?",
            pairs,
        )

    def _forget_entities(self, kind: str, ids: list[int]) -> None:
        if not ids:
            return
        if self.sql.pg:
            self.conn.execute(
                "UPDATE koito_import_run_entities SET entity_ids = ARRAY(SELECT i"
                " FROM unnest(entity_ids) AS i WHERE i <> ALL(%s::int[]))"
                " WHERE kind = %s AND entity_ids && %s::int[]",
                (ids, kind, ids),
            )
            self.conn.execute("DELETE FROM koito_import_run_entities WHERE entity_ids = '{}'")
            return
        self.conn.executemany(
            f"DELETE FROM koito_import_run_entities WHERE {RUNS} AND kind = ? AND entity_id = ?",
            [(kind, i) for i in ids],
        )
