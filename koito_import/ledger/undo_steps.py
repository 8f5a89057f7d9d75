"""The work of one undo, statement by statement: the run's listens, then the tracks, releases
and artists it created that nothing needs any more, and the ledger rows of what went."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from koito_import.core.times import iso
from koito_import.ledger.claims import drop_stale
from koito_import.ledger.runs import UNDONE, Run
from koito_import.ledger.sql import Sql

TABLES = {"track": "tracks", "release": "releases", "artist": "artists"}

# Koito's PostgreSQL schema has no index that finds the artist links of a track or a release:
# each track or release deleted costs its cascade (and Koito's orphan-release trigger) a scan
# of the whole link table, minutes for a library-sized run. A large undo makes those indexes
# inside its own transaction and drops them before it commits: no one else ever sees them
# (Koito's writes to the link tables wait for the few seconds the undo takes), and Koito's
# schema is exactly as it was, whether the undo commits, rolls back or dies.
LARGE_UNDO = 1000  # entities that may go
CREATE_INDEXES = """
CREATE INDEX koito_import_undo_artist_tracks ON artist_tracks (track_id);
CREATE INDEX koito_import_undo_artist_releases ON artist_releases (release_id);
"""
DROP_INDEXES = "DROP INDEX koito_import_undo_artist_tracks, koito_import_undo_artist_releases"
# Ledger rows of this run (the second %s) or of runs undone before, of one kind (the first).
RUN_OR_UNDONE = (
    "(run_id = %s OR run_id IN (SELECT id FROM koito_import_runs WHERE status = 'undone'))"
)
MINE_OR_UNDONE = f"kind = %s AND {RUN_OR_UNDONE}"


@dataclass(slots=True)
class Undone:
    run: Run
    dry_run: bool
    already: bool = False  # the run was undone before: nothing was done now
    listens_removed: int = 0
    tracks_removed: int = 0
    releases_removed: int = 0
    artists_removed: int = 0
    tracks_kept: int = 0
    releases_kept: int = 0
    artists_kept: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run.id,
            "dry_run": self.dry_run,
            "already_undone": self.already,
            "undone_at": iso(self.run.undone_at),
            "listens_removed": self.listens_removed,
            "tracks_removed": self.tracks_removed,
            "releases_removed": self.releases_removed,
            "artists_removed": self.artists_removed,
            "tracks_kept": self.tracks_kept,
            "releases_kept": self.releases_kept,
            "artists_kept": self.artists_kept,
        }


class UndoSteps:
    """The statements of one undo, in the order that keeps Koito's data whole."""

    def __init__(self, sql: Sql, conn: Any, run_id: int, result: Undone) -> None:
        self.sql = sql
        self.conn = conn
        self.run_id = run_id
        self.result = result
        self.held: dict[str, list[int]] | None = None  # PostgreSQL: the rows locked to go

    def _one(self, statement: str, *params: Any) -> Any:
        return self.conn.execute(self.sql(statement), params).fetchone()[0]

    def _count(self, statement: str, *params: Any) -> int:
        """Run a DELETE ... RETURNING and count its rows."""
        return len(self.conn.execute(self.sql(statement), params).fetchall())

    @property
    def candidates(self) -> str:
        """The ids of the entities of one kind this undo may remove: the run's own, and those
        an earlier undo kept. (Two %s: kind, run id.)"""
        return f"SELECT entity_id FROM ({self.sql.entities(MINE_OR_UNDONE)}) c"

    def _may_go(self, kind: str) -> tuple[str, tuple[Any, ...]]:
        """`id` among the entities of `kind` this undo may remove, and its parameters: on
        PostgreSQL those it holds (see _hold_postgresql), on SQLite every candidate."""
        if self.held is not None:
            return "id = ANY(%s)", (self.held[kind],)
        return f"id IN ({self.candidates})", (kind, self.run_id)

    def apply(self) -> None:
        run = self.run_id
        if not self.sql.pg:  # ids SQLite gave again are not the run's (ledger.claims)
            drop_stale(self.conn, self.sql(RUN_OR_UNDONE), (run,))
        self.result.listens_removed = self._remove_listens()
        indexed = self.sql.pg and self._hold_postgresql()
        mine, params = self._may_go("track")
        self.result.tracks_removed = self._count(
            f"DELETE FROM tracks WHERE {mine}"
            " AND NOT EXISTS (SELECT 1 FROM listens l WHERE l.track_id = tracks.id)"
            " RETURNING id",
            *params,
        )
        mine, params = self._may_go("release")
        self.result.releases_removed = self._count(
            f"DELETE FROM releases WHERE {mine}"
            " AND NOT EXISTS (SELECT 1 FROM tracks t WHERE t.release_id = releases.id)"
            " RETURNING id",
            *params,
        )
        self.result.artists_removed = self._remove_artists()
        if indexed:
            self.conn.execute(DROP_INDEXES)
        for kind, table in TABLES.items():
            kept = self._one(
                f"SELECT count(*) FROM ({self.sql.entities('run_id = %s AND kind = %s')}) e"
                f" JOIN {table} x ON x.id = e.entity_id",
                run,
                kind,
            )
            setattr(self.result, f"{kind}s_kept", kept)
            self._forget_removed(kind, table)
        self.conn.execute(
            self.sql("DELETE FROM koito_import_run_listens WHERE run_id = %s"), (run,)
        )
        self.conn.execute(
            self.sql(
                f"UPDATE koito_import_runs SET status = %s, undone_at = {self.sql.time}"
                " WHERE id = %s AND status <> %s"
            ),
            (UNDONE, int(time.time()), run, UNDONE),
        )

    def _forget_removed(self, kind: str, table: str) -> None:
        """The ledger forgets the entities that are gone; it keeps those that stay."""
        exists = f"EXISTS (SELECT 1 FROM {table} x WHERE x.id = "
        if self.sql.pg:
            self.conn.execute(
                "UPDATE koito_import_run_entities SET entity_ids = ARRAY(SELECT i"
                f" FROM unnest(entity_ids) AS i WHERE {exists}i)) WHERE {MINE_OR_UNDONE}",
                (kind, self.run_id),
            )
            self.conn.execute("DELETE FROM koito_import_run_entities WHERE entity_ids = '{}'")
        else:
            self.conn.execute(
                self.sql(
                    f"DELETE FROM koito_import_run_entities WHERE {MINE_OR_UNDONE}"
                    f" AND NOT {exists}koito_import_run_entities.entity_id)"
                ),
                (kind, self.run_id),
            )

    def _hold_postgresql(self) -> bool:
        """Lock the rows that may go, once the run's listens are gone, skipping those Koito
        holds: a listen (or track) Koito is inserting on one has locked it (its foreign key
        check takes FOR KEY SHARE), so the row stays, and Koito's insert goes through. The
        deletes come in later statements, whose snapshots see every listen Koito committed
        before the lock; Koito's inserts that come after it wait for this transaction, and
        fail if their entity is gone (README). Return whether the look-up indexes for a
        large undo were made (see CREATE_INDEXES)."""
        self.held = {}
        for kind, table in reversed(TABLES.items()):
            rows = self.conn.execute(
                f"SELECT id FROM {table} WHERE id IN ({self.candidates})"
                " ORDER BY id FOR UPDATE SKIP LOCKED",
                (kind, self.run_id),
            ).fetchall()
            self.held[kind] = [r[0] for r in rows]
        if sum(map(len, self.held.values())) < LARGE_UNDO:
            return False
        self.conn.execute(CREATE_INDEXES)
        return True

    def _remove_listens(self) -> int:
        """The run's listens, but those a later run inserted again: deleted in Koito
        meanwhile, a listen a later run brought back is that run's (its ledger says so)."""
        if self.sql.pg:
            later = (
                "SELECT unnest(track_ids), to_timestamp(unnest(listened_at))"
                " FROM koito_import_run_listens WHERE run_id > %s"
            )
            return self._count(
                f"DELETE FROM listens l USING ({self.sql.listens_of()} EXCEPT {later}) r"
                " WHERE l.track_id = r.track_id AND l.listened_at = r.listened_at RETURNING 1",
                self.run_id,
                self.run_id,
            )
        # By run id first, so each later run's rows are found by their key.
        later = (
            "SELECT 1 FROM koito_import_run_listens o WHERE o.run_id IN"
            " (SELECT id FROM koito_import_runs WHERE id > ?) AND o.track_id = r.track_id"
            " AND o.listened_at = r.listened_at"
        )
        return self._count(
            "DELETE FROM listens WHERE (track_id, listened_at) IN (SELECT track_id, listened_at"
            f" FROM koito_import_run_listens r WHERE r.run_id = ? AND NOT EXISTS ({later}))"
            " RETURNING 1",
            self.run_id,
            self.run_id,
        )

    def _remove_artists(self) -> int:
        """Artists no track credits any more, except one for each release that stays and
        would otherwise be left without artists."""
        mine, params = self._may_go("artist")
        unused = (
            f"SELECT a.id FROM artists a WHERE a.{mine}"
            " AND NOT EXISTS (SELECT 1 FROM artist_tracks x WHERE x.artist_id = a.id)"
        )
        links = self.conn.execute(
            self.sql(
                "SELECT release_id, artist_id, is_primary FROM artist_releases"
                " WHERE release_id IN (SELECT release_id FROM artist_releases"
                f" WHERE artist_id IN ({unused})) ORDER BY release_id, is_primary DESC, artist_id"
            ),
            params,
        ).fetchall()
        going = {artist for _, artist, _ in links} & {
            row[0] for row in self.conn.execute(self.sql(unused), params).fetchall()
        }
        spared = _spare_one_per_release(links, going)
        keep = ""
        if spared:
            keep = f" AND id NOT IN ({', '.join('%s' for _ in spared)})"
        return self._count(
            f"DELETE FROM artists WHERE id IN ({unused}){keep} RETURNING id",
            *params,
            *sorted(spared),
        )


def _spare_one_per_release(links: list[tuple[int, int, Any]], going: set[int]) -> set[int]:
    """Artists to keep so that no release loses its last artist link: for each release all
    of whose artists would go, its first (primary) one."""
    by_release: dict[int, list[int]] = {}
    for release, artist, _ in links:
        by_release.setdefault(release, []).append(artist)
    spared: set[int] = set()
    for artists in by_release.values():
        if all(a in going and a not in spared for a in artists):
            spared.add(artists[0])
    return spared
