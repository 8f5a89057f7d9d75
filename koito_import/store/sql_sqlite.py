"""The SQLite store's SQL, kept apart so the store reads as plain steps."""

# An import touches far more pages than SQLite's default 2 MB cache holds: with it, a large
# import spends as long in read() calls as in SQLite. A 32 MB cache (not a memory map, whose
# pages would count as the process's memory), and temp tables in memory. Neither outlives the
# connection or changes the file.
TUNING = """
PRAGMA cache_size = -32768;
PRAGMA temp_store = MEMORY;
PRAGMA wal_autocheckpoint = 16384;
"""

# Temp tables live in the connection's private temp database: filling them takes no lock on
# koito.db, so look-ups never get in Koito's way.
TEMP_TABLES = """
CREATE TEMP TABLE IF NOT EXISTS q_keys (v TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS q_mbids (v TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS q_pairs (title TEXT, ref INTEGER, PRIMARY KEY (title, ref));
CREATE TEMP TABLE IF NOT EXISTS q_listens (track_id INTEGER, listened_at INTEGER, client TEXT);
CREATE TEMP TABLE IF NOT EXISTS q_present (track_id INTEGER, ts INTEGER, PRIMARY KEY (track_id, ts))
    WITHOUT ROWID;
"""

# CROSS JOIN pins the (small) temp table as the outer loop, so each key is one index probe.
WITHOUT_DURATION = """
SELECT t.id FROM temp.q_keys q CROSS JOIN tracks t ON t.id = CAST(q.v AS INTEGER)
WHERE t.duration = 0
"""
PRESENT_LISTENS = """
SELECT l.track_id, l.listened_at FROM temp.q_present q
CROSS JOIN listens l ON l.track_id = q.track_id AND l.listened_at = q.ts
"""

ARTIST_IDS = """
SELECT aa.artist_id FROM temp.q_keys q CROSS JOIN artist_aliases aa ON aa.alias = q.v
UNION
SELECT a.id FROM temp.q_mbids q CROSS JOIN artists a ON a.musicbrainz_id = q.v
"""
RELEASE_IDS = """
SELECT ra.release_id FROM temp.q_pairs q
CROSS JOIN release_aliases ra ON ra.alias = q.title AND ra.is_primary = 1
CROSS JOIN artist_releases ar ON ar.artist_id = q.ref AND ar.release_id = ra.release_id
UNION
SELECT r.id FROM temp.q_mbids q CROSS JOIN releases r ON r.musicbrainz_id = q.v
"""
TRACK_IDS = """
SELECT t.id FROM temp.q_pairs q
CROSS JOIN tracks t ON t.release_id = q.ref
CROSS JOIN track_aliases ta ON ta.track_id = t.id AND ta.alias = q.title AND ta.is_primary = 1
UNION
SELECT t.id FROM temp.q_mbids q CROSS JOIN tracks t ON t.musicbrainz_id = q.v
"""

USER_NAMED = "SELECT id, username FROM users WHERE username = ?"
FIRST_ADMIN = "SELECT id, username FROM users WHERE role = 'admin' ORDER BY id LIMIT 1"
ANY_USER = "SELECT 1 FROM users LIMIT 1"
CREATE_ADMIN = "INSERT INTO users (username, role, password) VALUES (?, 'admin', ?)"

LOOKUP = """
SELECT l.lookup_key, l.track_id FROM temp.q_keys q
CROSS JOIN track_lookup l ON l.lookup_key = q.v
"""
ARTISTS = f"""
SELECT a.id, a.musicbrainz_id, aa.alias FROM artists a
LEFT JOIN artist_aliases aa ON aa.artist_id = a.id
WHERE a.id IN ({ARTIST_IDS})
ORDER BY a.id, aa.is_primary DESC, aa.rowid
"""
RELEASES = f"""
SELECT r.id, r.musicbrainz_id,
       (SELECT alias FROM release_aliases WHERE release_id = r.id AND is_primary = 1
        ORDER BY rowid LIMIT 1),
       (SELECT group_concat(artist_id) FROM artist_releases WHERE release_id = r.id)
FROM releases r WHERE r.id IN ({RELEASE_IDS}) ORDER BY r.id
"""
TRACKS = f"""
SELECT t.id, t.musicbrainz_id,
       (SELECT alias FROM track_aliases WHERE track_id = t.id AND is_primary = 1
        ORDER BY rowid LIMIT 1),
       t.release_id,
       (SELECT group_concat(artist_id) FROM artist_tracks WHERE track_id = t.id),
       t.duration
FROM tracks t WHERE t.id IN ({TRACK_IDS}) ORDER BY t.id
"""

# New rows get ids from max(id) + 1, as SQLite itself would, taken under the write lock
# (none of these tables is AUTOINCREMENT), so each table is one statement per batch.
MAX_ID = "SELECT max(id) FROM {table}"
INSERT_ARTISTS = "INSERT INTO artists (id, musicbrainz_id, image, image_source) VALUES (?, ?, ?, ?)"
INSERT_RELEASES = """
INSERT INTO releases (id, musicbrainz_id, various_artists, image, image_source)
VALUES (?, ?, ?, ?, ?)
"""
INSERT_TRACKS = "INSERT INTO tracks (id, musicbrainz_id, duration, release_id) VALUES (?, ?, ?, ?)"
# OR IGNORE: an export may list the same alias twice; the first (primary-first) wins.
INSERT_ALIASES = """
INSERT OR IGNORE INTO {table} ({fk}, alias, source, is_primary) VALUES (?, ?, ?, ?)
"""

INSERT_ARTIST_RELEASES = """
INSERT OR IGNORE INTO artist_releases (artist_id, release_id, is_primary) VALUES (?, ?, ?)
"""
INSERT_ARTIST_TRACKS = """
INSERT OR IGNORE INTO artist_tracks (artist_id, track_id, is_primary) VALUES (?, ?, ?)
"""
# Only fill a missing MBID, and never take one another row has (it is UNIQUE).
SET_MBID = """
UPDATE {table} SET musicbrainz_id = ?1 WHERE id = ?2 AND musicbrainz_id IS NULL
AND NOT EXISTS (SELECT 1 FROM {table} WHERE musicbrainz_id = ?1)
"""
SET_DURATION = "UPDATE tracks SET duration = ? WHERE id = ? AND duration = 0"
# RETURNING gives exactly the rows inserted (not those OR IGNORE kept as they were).
INSERT_LISTENS = """
INSERT OR IGNORE INTO listens (track_id, listened_at, user_id, client)
SELECT track_id, listened_at, ?, client FROM temp.q_listens ORDER BY rowid
RETURNING track_id, listened_at
"""
# An upsert costs three times a plain insert here: insert, and update the rows that were
# there already (keys resolved again to give their entities an MBID) only when there are some.
INSERT_LOOKUPS = """
INSERT OR IGNORE INTO track_lookup (lookup_key, artist_id, album_id, track_id) VALUES (?, ?, ?, ?)
"""
UPDATE_LOOKUPS = """
UPDATE track_lookup SET artist_id = ?2, album_id = ?3, track_id = ?4 WHERE lookup_key = ?1
"""
