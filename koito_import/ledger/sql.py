"""The ledger's SQL where the two back ends differ."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class Sql:
    """Where the two back ends differ: placeholders, times, how a run's rows are kept."""

    def __init__(self, kind: str) -> None:
        self.pg = kind == "postgresql"

    def __call__(self, sql: str) -> str:
        """Statements are written with %s placeholders; SQLite's are ?."""
        return sql if self.pg else sql.replace("%s", "?")

    @property
    def time(self) -> str:
        """A unix-seconds parameter, as the back end stores times."""
        return "to_timestamp(%s)" if self.pg else "%s"

    def unix(self, column: str) -> str:
        return f"extract(epoch FROM {column})::bigint" if self.pg else column

    def listens_of(self) -> str:
        """A run's listens (one %s: the run id) as rows (track_id, listened_at), typed as
        listens.listened_at is."""
        if self.pg:
            return (
                "SELECT unnest(track_ids) AS track_id,"
                " to_timestamp(unnest(listened_at)) AS listened_at"
                " FROM koito_import_run_listens WHERE run_id = %s"
            )
        return "SELECT track_id, listened_at FROM koito_import_run_listens WHERE run_id = %s"

    def entities(self, where: str) -> str:
        """The ledger's (run_id, kind, entity_id) rows that match `where`."""
        if self.pg:
            return (
                "SELECT run_id, kind, unnest(entity_ids) AS entity_id"
                f" FROM koito_import_run_entities WHERE {where}"
            )
        return f"SELECT run_id, kind, entity_id FROM koito_import_run_entities WHERE {where}"

    def many(self, conn: Any, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.pg:
            conn.cursor().executemany(self(sql), rows)
        else:
            conn.executemany(self(sql), rows)
