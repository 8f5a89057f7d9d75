"""The SQL behind catalog.minutes: listens ending in given minutes, with the names of their
song, and whether a user has any listen known to the minute only. Names come back as stored
(SQLite's lower() folds ASCII only; the caller folds them)."""

from __future__ import annotations

from koito_import.core.model import MINUTE_CLIENT

_SONG = """
JOIN track_aliases t ON t.track_id = l.track_id
JOIN artist_tracks x ON x.track_id = l.track_id
JOIN artist_aliases a ON a.artist_id = x.artist_id"""

POSTGRES_NEAR = f"""
SELECT extract(epoch FROM l.listened_at)::bigint, l.track_id, l.client, a.alias, t.alias
FROM (SELECT DISTINCT unnest(%s::bigint[]) AS start) m
JOIN listens l ON l.listened_at >= to_timestamp(m.start)
              AND l.listened_at < to_timestamp(m.start + 60){_SONG}
WHERE l.user_id = %s"""

SQLITE_NEAR = f"""
SELECT l.listened_at, l.track_id, l.client, a.alias, t.alias
FROM (SELECT DISTINCT value AS start FROM json_each(?)) m
JOIN listens l ON l.listened_at >= m.start AND l.listened_at < m.start + 60{_SONG}
WHERE l.user_id = ?"""

ANY_MINUTE_LISTEN = "SELECT EXISTS (SELECT 1 FROM listens WHERE client = %s AND user_id = %s)"
MINUTE_PARAMS = (MINUTE_CLIENT,)
