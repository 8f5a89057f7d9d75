"""The PostgreSQL store's SQL, kept apart so the store reads as plain steps."""

CREATE_TEMP_TABLES = """
CREATE TEMP TABLE IF NOT EXISTS ki_listens (track_id int, ts bigint, client text);
CREATE TEMP TABLE IF NOT EXISTS ki_links (artist_id int, other_id int, is_primary boolean);
CREATE TEMP TABLE IF NOT EXISTS ki_lookups
    (lookup_key text, artist_id int, album_id int, track_id int);
"""
CLEAR_TEMP_TABLES = "TRUNCATE ki_listens, ki_links, ki_lookups"
TRY_LOCK = "SELECT pg_try_advisory_lock(%s)"
UNLOCK = "SELECT pg_advisory_unlock(%s)"

USER_NAMED = "SELECT id, username FROM users WHERE username = %s"
FIRST_ADMIN = "SELECT id, username FROM users WHERE role = 'admin' ORDER BY id LIMIT 1"
ANY_USER = "SELECT 1 FROM users LIMIT 1"
CREATE_ADMIN = "INSERT INTO users (username, role, password) VALUES (%s, 'admin', %s)"

LOOKUP = "SELECT lookup_key, track_id FROM track_lookup WHERE lookup_key = ANY(%s::text[])"

WITHOUT_DURATION = "SELECT id FROM tracks WHERE id = ANY(%s::int[]) AND duration = 0"
PRESENT_LISTENS = """
SELECT l.track_id, extract(epoch FROM l.listened_at)::bigint
FROM unnest(%s::int[], %s::bigint[]) AS v(track_id, ts)
JOIN listens l ON l.track_id = v.track_id AND l.listened_at = to_timestamp(v.ts)
"""

_ARTIST_COLUMNS = """
SELECT a.id, a.musicbrainz_id::text,
       array_agg(aa.alias ORDER BY aa.is_primary DESC, aa.alias)
FROM artists a JOIN artist_aliases aa ON aa.artist_id = a.id
"""
ARTISTS_NAMED = (
    _ARTIST_COLUMNS
    + """
WHERE a.id IN (SELECT x.artist_id FROM artist_aliases x
               JOIN unnest(%s::text[]) AS n(alias) ON x.alias = n.alias)
GROUP BY a.id
"""
)
ARTISTS_WITH_MBID = (
    _ARTIST_COLUMNS
    + """
WHERE a.musicbrainz_id = ANY(%s::uuid[])
GROUP BY a.id
"""
)

# LEFT JOIN: a release with no artist link is still found by its MBID (as on SQLite).
_RELEASE_COLUMNS = """
SELECT r.id, r.musicbrainz_id::text, ra.alias, array_remove(array_agg(ar.artist_id), NULL)
FROM releases r
JOIN release_aliases ra ON ra.release_id = r.id AND ra.is_primary
LEFT JOIN artist_releases ar ON ar.release_id = r.id
"""
RELEASES_TITLED = (
    _RELEASE_COLUMNS
    + """
WHERE r.id IN (SELECT x.release_id
               FROM unnest(%s::text[], %s::int[]) AS w(title, artist_id)
               JOIN release_aliases x ON x.alias = w.title AND x.is_primary
               JOIN artist_releases l ON l.release_id = x.release_id
                                     AND l.artist_id = w.artist_id)
GROUP BY r.id, ra.alias
"""
)
RELEASES_WITH_MBID = (
    _RELEASE_COLUMNS
    + """
WHERE r.musicbrainz_id = ANY(%s::uuid[])
GROUP BY r.id, ra.alias
"""
)

_TRACK_COLUMNS = """
SELECT t.id, t.musicbrainz_id::text, ta.alias, t.release_id,
       array_remove(array_agg(at.artist_id), NULL), t.duration
FROM tracks t
JOIN track_aliases ta ON ta.track_id = t.id AND ta.is_primary
LEFT JOIN artist_tracks at ON at.track_id = t.id
"""
TRACKS_TITLED = (
    _TRACK_COLUMNS
    + """
WHERE t.id IN (SELECT x.id
               FROM unnest(%s::text[], %s::int[]) AS w(title, release_id)
               JOIN tracks x ON x.release_id = w.release_id
               JOIN track_aliases xa ON xa.track_id = x.id AND xa.is_primary
                                    AND xa.alias = w.title)
GROUP BY t.id, ta.alias
"""
)
TRACKS_WITH_MBID = (
    _TRACK_COLUMNS
    + """
WHERE t.musicbrainz_id = ANY(%s::uuid[])
GROUP BY t.id, ta.alias
"""
)

NEXT_IDS = "SELECT nextval('{seq}') FROM generate_series(1, %s)"

# COPY writes the identity columns as given, like INSERT ... OVERRIDING SYSTEM VALUE.
COPY_ARTISTS = "COPY artists (id, musicbrainz_id, image, image_source) FROM STDIN"
COPY_ARTIST_ALIASES = "COPY artist_aliases (artist_id, alias, source, is_primary) FROM STDIN"
COPY_RELEASES = (
    "COPY releases (id, musicbrainz_id, image, various_artists, image_source) FROM STDIN"
)
COPY_RELEASE_ALIASES = "COPY release_aliases (release_id, alias, source, is_primary) FROM STDIN"
COPY_TRACKS = "COPY tracks (id, musicbrainz_id, duration, release_id) FROM STDIN"
COPY_TRACK_ALIASES = "COPY track_aliases (track_id, alias, source, is_primary) FROM STDIN"

COPY_TMP_LINKS = "COPY ki_links (artist_id, other_id, is_primary) FROM STDIN"
INSERT_ARTIST_RELEASES = """
INSERT INTO artist_releases (artist_id, release_id, is_primary)
SELECT artist_id, other_id, is_primary FROM ki_links ON CONFLICT DO NOTHING;
TRUNCATE ki_links;
"""
INSERT_ARTIST_TRACKS = """
INSERT INTO artist_tracks (artist_id, track_id, is_primary)
SELECT artist_id, other_id, is_primary FROM ki_links ON CONFLICT DO NOTHING;
TRUNCATE ki_links;
"""

_SET_MBID = """
UPDATE {table} e SET musicbrainz_id = v.mbid
FROM unnest(%s::int[], %s::uuid[]) AS v(id, mbid)
WHERE e.id = v.id AND e.musicbrainz_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM {table} o WHERE o.musicbrainz_id = v.mbid)
"""
SET_ARTIST_MBIDS = _SET_MBID.format(table="artists")
SET_RELEASE_MBIDS = _SET_MBID.format(table="releases")
SET_TRACK_MBIDS = _SET_MBID.format(table="tracks")
SET_TRACK_DURATIONS = """
UPDATE tracks t SET duration = v.seconds
FROM unnest(%s::int[], %s::int[]) AS v(id, seconds)
WHERE t.id = v.id AND t.duration = 0
"""

COPY_TMP_LISTENS = "COPY ki_listens (track_id, ts, client) FROM STDIN"
# RETURNING gives exactly the rows inserted, not those the conflict kept as they were.
INSERT_LISTENS = """
INSERT INTO listens (track_id, listened_at, client, user_id)
SELECT track_id, to_timestamp(ts), client, %s FROM ki_listens
ON CONFLICT DO NOTHING
RETURNING track_id, extract(epoch FROM listened_at)::bigint
"""

COPY_TMP_LOOKUPS = "COPY ki_lookups (lookup_key, artist_id, album_id, track_id) FROM STDIN"
UPSERT_LOOKUPS = """
INSERT INTO track_lookup (lookup_key, artist_id, album_id, track_id)
SELECT lookup_key, artist_id, album_id, track_id FROM ki_lookups
ON CONFLICT (lookup_key) DO UPDATE
SET artist_id = EXCLUDED.artist_id, album_id = EXCLUDED.album_id, track_id = EXCLUDED.track_id
"""
