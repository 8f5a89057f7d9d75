"""The schema check and migrations (SPEC §2.1-2.3), on real PostgreSQL and SQLite databases."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from bench.pgserver import database_url
from koito_import import schema
from koito_import.core.dburl import Database
from koito_import.schema import SchemaError
from tests.support import import_files

FIXTURES = Path(__file__).parent / "fixtures" / "schema"
MALOJA_EXPORT = Path(__file__).parent / "fixtures" / "maloja" / "export.json"
HEAD = "0006_entity_name_hash"
LEDGER = "created the ledger of runs (koito_import_runs and its tables)"
OURS = {"track_lookup", schema.VERSION_TABLE, *schema.LEDGER_TABLES, "koito_import_sync_ranges"}
OUR_SEQUENCES = {"koito_import_runs_id_seq"}  # PostgreSQL

# Names taken from Koito's DDL (db/migrations 000001-000005, db/migrations_sqlite 001-002).
KOITO_TABLES = {
    "artists", "artist_aliases", "releases", "release_aliases", "artist_releases", "tracks",
    "track_aliases", "artist_tracks", "users", "api_keys", "sessions", "listens",
    "goose_db_version",
}  # fmt: skip
KOITO_VIEWS = {"artists_with_name", "releases_with_title", "tracks_with_title"}
PG_INDEXES = {
    "idx_artist_aliases_alias_trgm", "idx_artist_aliases_artist_id", "idx_artist_releases",
    "idx_release_aliases_alias_trgm", "idx_tracks_release_id", "listens_listened_at_idx",
    "listens_track_id_listened_at_idx", "release_aliases_release_id_idx",
    "track_aliases_track_id_idx", "idx_track_aliases_alias_trgm",
}  # fmt: skip
SQLITE_INDEXES = {
    "idx_listens_listened_at", "idx_listens_track_id", "idx_listens_track_id_listened_at",
    "idx_listens_user_id", "idx_artist_tracks_track_id", "idx_artist_tracks_artist_id",
    "idx_artist_releases_release_id", "idx_tracks_release_id", "idx_artist_aliases_artist_id",
    "idx_artist_aliases_alias", "idx_release_aliases_alias", "idx_track_aliases_alias",
    "idx_sessions_expires_at",
}  # fmt: skip
LOOKUP_INDEXES = {
    "idx_track_lookup_track_id",
    "idx_track_lookup_artist_id",
    "idx_track_lookup_album_id",
}
PG_FOREIGN_KEYS = {
    "api_keys_user_id_fkey", "artist_aliases_artist_id_fkey", "artist_releases_artist_id_fkey",
    "artist_releases_release_id_fkey", "artist_tracks_artist_id_fkey",
    "artist_tracks_track_id_fkey", "listens_track_id_fkey", "listens_user_id_fkey",
    "release_aliases_release_id_fkey", "sessions_user_id_fkey", "track_aliases_track_id_fkey",
    "track_release_id_fkey",
}  # fmt: skip
PG_SEQUENCES = {
    "artists_id_seq", "releases_id_seq", "tracks_id_seq", "users_id_seq", "api_keys_id_seq",
    "goose_db_version_id_seq",
}  # fmt: skip
PG_FUNCTIONS = {"delete_orphan_releases", "get_artists_for_release", "get_artists_for_track"}
GOOSE_ROWS = {"postgresql": [(v, True) for v in range(6)], "sqlite": [(v, 1) for v in range(3)]}


# ----------------------------------------------------------------------------- helpers


@pytest.fixture
def other_db(any_db: Database, fresh_db: Callable[[str], Database]) -> Database:
    """A second fresh database of the same kind as `any_db`."""
    return fresh_db(any_db.kind)


def execute(db: Database, sql: str) -> None:
    if db.kind == "postgresql":
        with psycopg.connect(db.url, autocommit=True) as conn:
            conn.execute(sql)
        return
    db.path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db.path)
    try:
        conn.executescript(sql)
    finally:
        conn.close()


def query(db: Database, sql: str) -> list[tuple]:
    if db.kind == "postgresql":
        with psycopg.connect(db.url) as conn:
            return conn.execute(sql).fetchall()
    conn = sqlite3.connect(db.path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def make_koito(db: Database) -> None:
    """The database Koito itself leaves behind: its own DDL, run as goose runs it."""
    execute(db, (FIXTURES / f"koito_{db.kind}.sql").read_text())
    if db.kind == "sqlite":
        execute(db, "PRAGMA journal_mode=WAL")  # Koito opens its file in WAL mode


def add_listen(db: Database) -> None:
    """One user, artist, release, track and listen, written as Koito writes them."""
    at = "'2024-05-01 12:00:00+00'" if db.kind == "postgresql" else "1714564800"
    execute(
        db,
        f"""
        INSERT INTO users (username, role, password) VALUES ('admin', 'admin', 'x');
        INSERT INTO artists (musicbrainz_id) VALUES (NULL);
        INSERT INTO artist_aliases VALUES (1, 'Björk', 'Canonical', true);
        INSERT INTO releases (various_artists) VALUES (false);
        INSERT INTO release_aliases VALUES (1, 'Homogenic', 'Canonical', true);
        INSERT INTO artist_releases VALUES (1, 1, true);
        INSERT INTO tracks (duration, release_id) VALUES (282, 1);
        INSERT INTO track_aliases (track_id, alias, source, is_primary)
            VALUES (1, 'Jóga', 'Canonical', true);
        INSERT INTO artist_tracks VALUES (1, 1, true);
        INSERT INTO listens (track_id, listened_at, client, user_id) VALUES (1, {at}, 'test', 1);
        """,
    )


def goose_rows(db: Database) -> list[tuple]:
    return query(db, "SELECT version_id, is_applied FROM goose_db_version ORDER BY id")


def data(db: Database) -> dict[str, list[tuple]]:
    """Every row of Koito's tables (goose's excepted), to prove an upgrade left them alone."""
    tables = KOITO_TABLES - {"goose_db_version"}
    return {t: sorted(query(db, f"SELECT * FROM {t}"), key=repr) for t in sorted(tables)}


def _squash(sql: str | None) -> str:
    text = re.sub(r"if not exists", "", (sql or "").lower())
    return re.sub(r'[\s"]', "", text)


def catalog(db: Database) -> dict[str, set[tuple]]:
    """The schema as the database describes it, each entry keyed first by its table/object."""
    return _pg_catalog(db) if db.kind == "postgresql" else _sqlite_catalog(db)


def _pg_catalog(db: Database) -> dict[str, set[tuple]]:
    q = {
        "columns": """SELECT table_name, column_name, ordinal_position, udt_name, is_nullable,
                             column_default, is_identity, identity_generation
                      FROM information_schema.columns WHERE table_schema = 'public'""",
        "constraints": """SELECT c.relname, conname, pg_get_constraintdef(k.oid)
                          FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
                          WHERE c.relnamespace = 'public'::regnamespace""",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes"
        " WHERE schemaname = 'public'",
        "views": "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public'",
        "functions": """SELECT proname, pg_get_functiondef(p.oid) FROM pg_proc p
                        WHERE pronamespace = 'public'::regnamespace AND NOT EXISTS (
                            SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')""",
        "triggers": "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal",
        "sequences": """SELECT sequencename, data_type::text, start_value, increment_by,
                               min_value, max_value, cache_size, cycle
                        FROM pg_sequences WHERE schemaname = 'public'""",
        "enums": "SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text"
        " FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid GROUP BY t.typname",
        "extensions": "SELECT extname, n.nspname FROM pg_extension x"
        " JOIN pg_namespace n ON n.oid = x.extnamespace",
    }
    result = {name: set(query(db, sql)) for name, sql in q.items()}
    result["functions"] = {(name, _squash(body)) for name, body in result["functions"]}
    return result


def _sqlite_catalog(db: Database) -> dict[str, set[tuple]]:
    conn = sqlite3.connect(db.path)
    try:
        master = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
        tables = [name for kind, name, _, _ in master if kind == "table"]
        result: dict[str, set[tuple]] = {
            "objects": {(tbl, kind, name, _squash(sql)) for kind, name, tbl, sql in master},
            "columns": set(),
            "foreign_keys": set(),
            "indexes": set(),
        }
        for t in tables:
            result["columns"] |= {(t, *row) for row in conn.execute(f"PRAGMA table_xinfo({t})")}
            result["foreign_keys"] |= {
                (t, *row[2:]) for row in conn.execute(f"PRAGMA foreign_key_list({t})")
            }
            for _, name, unique, origin, partial in conn.execute(f"PRAGMA index_list({t})"):
                cols = tuple(r[2] for r in conn.execute(f"PRAGMA index_info({name})"))
                label = "auto" if name.startswith("sqlite_autoindex") else name
                result["indexes"].add((t, label, unique, origin, partial, cols))
        # Autoindexes are renamed when Koito's 002 rebuilds a table: compare them by content.
        result["objects"] = {o for o in result["objects"] if not o[2].startswith("sqlite_auto")}
        return result
    finally:
        conn.close()


def without(cat: dict[str, set[tuple]], owners: set[str]) -> dict[str, set[tuple]]:
    return {k: {row for row in rows if row[0] not in owners} for k, rows in cat.items()}


def names(cat: dict[str, set[tuple]], category: str, position: int = 1) -> set[str]:
    return {row[position] for row in cat[category]}


def index_names(cat: dict[str, set[tuple]]) -> set[str]:
    if "objects" in cat:  # SQLite
        return {name for _, kind, name, _ in cat["objects"] if kind == "index"}
    return names(cat, "indexes")


# ----------------------------------------------------------------------------- tests


def test_empty_database_gets_koitos_schema_and_goose_rows(any_db: Database) -> None:
    actions = schema.upgrade(any_db)

    base = 5 if any_db.kind == "postgresql" else 2
    assert actions[0] == f"created Koito's schema (goose versions 0-{base} recorded)"
    assert actions[1].startswith("created track_lookup")
    cat = catalog(any_db)
    if any_db.kind == "postgresql":
        assert names(cat, "columns", 0) == KOITO_TABLES | KOITO_VIEWS | OURS
        assert names(cat, "views", 0) == KOITO_VIEWS
        assert names(cat, "indexes") >= PG_INDEXES | LOOKUP_INDEXES
        assert {n for n in names(cat, "constraints") if n.endswith("_fkey")} >= PG_FOREIGN_KEYS
        assert names(cat, "functions", 0) == PG_FUNCTIONS
        assert names(cat, "triggers", 0) == {"trg_delete_orphan_releases"}
        assert names(cat, "sequences", 0) == PG_SEQUENCES | OUR_SEQUENCES
        assert ("role", "{admin,user}") in cat["enums"]
        assert "pg_trgm" in names(cat, "extensions", 0)
        assert goose_rows(any_db) == [*GOOSE_ROWS["postgresql"], (6, True)]
    else:
        objects = {(kind, name) for _, kind, name, _ in cat["objects"]}
        assert {n for k, n in objects if k == "table"} == KOITO_TABLES | OURS | {"sqlite_sequence"}
        assert {n for k, n in objects if k == "view"} == KOITO_VIEWS
        assert {n for k, n in objects if k == "trigger"} == {"trg_delete_orphan_releases"}
        assert {n for k, n in objects if k == "index"} == SQLITE_INDEXES | LOOKUP_INDEXES
        assert goose_rows(any_db) == GOOSE_ROWS["sqlite"]  # nothing for the lookup table
    assert schema.status(any_db).state == "ready"


def test_created_schema_equals_the_one_koitos_migrations_build(
    any_db: Database, other_db: Database
) -> None:
    schema.upgrade(any_db)
    make_koito(other_db)

    ours = OURS | OUR_SEQUENCES
    assert without(catalog(any_db), ours) == without(catalog(other_db), ours)


def test_upgrading_twice_changes_nothing(any_db: Database) -> None:
    schema.upgrade(any_db)
    before, rows = catalog(any_db), goose_rows(any_db)

    assert schema.upgrade(any_db) == ["nothing to do"]
    assert schema.ensure_ready(any_db) == []
    assert catalog(any_db) == before
    assert goose_rows(any_db) == rows


def test_existing_koito_database_only_gains_track_lookup(any_db: Database) -> None:
    make_koito(any_db)
    add_listen(any_db)
    cat, rows = catalog(any_db), data(any_db)
    assert schema.status(any_db).state == "koito"

    actions = schema.ensure_ready(any_db)

    if any_db.kind == "postgresql":
        assert actions == [
            "created track_lookup (goose version 6 recorded)",
            LEDGER,
            f"recorded koito-import revision {HEAD}",
        ]
        assert goose_rows(any_db) == [*GOOSE_ROWS["postgresql"], (6, True)]
    else:
        assert actions == ["created track_lookup", LEDGER, f"recorded koito-import revision {HEAD}"]
        assert goose_rows(any_db) == GOOSE_ROWS["sqlite"]
    after = catalog(any_db)
    assert without(after, OURS | OUR_SEQUENCES) == cat  # Koito's tables, views... untouched
    assert data(any_db) == rows
    assert index_names(after) >= LOOKUP_INDEXES
    assert schema.status(any_db).state == "ready"


def test_existing_track_lookup_is_reused_without_goose_rows(any_db: Database) -> None:
    make_koito(any_db)
    if any_db.kind == "postgresql":
        execute(any_db, (FIXTURES / "fork_000006_postgresql.sql").read_text())  # the fork's
        identity = "SELECT 'track_lookup'::regclass::oid"
    else:
        execute(
            any_db,
            "CREATE TABLE track_lookup (lookup_key TEXT PRIMARY KEY, artist_id INTEGER,"
            " album_id INTEGER, track_id INTEGER, created_at INTEGER)",
        )
        identity = "SELECT rootpage FROM sqlite_master WHERE name = 'track_lookup'"
    table, rows = query(any_db, identity), goose_rows(any_db)
    assert schema.status(any_db).state == "ready"

    actions = schema.upgrade(any_db)

    assert actions == [
        "reused the existing track_lookup",
        LEDGER,
        f"recorded koito-import revision {HEAD}",
    ]
    assert query(any_db, identity) == table  # the same table, not a new one
    assert goose_rows(any_db) == rows
    assert schema.status(any_db).revision == HEAD


def test_unrelated_database_is_refused_and_left_alone(any_db: Database) -> None:
    execute(any_db, "CREATE TABLE notes (id integer PRIMARY KEY, body text)")
    before = catalog(any_db)

    current = schema.status(any_db)
    assert current.state == "foreign"
    with pytest.raises(SchemaError) as refused:
        schema.ensure_ready(any_db)

    message = str(refused.value)
    assert any_db.display() in message
    assert "not Koito's database (it has notes)" in message
    assert "--db" in message  # says how to fix it
    assert catalog(any_db) == before  # not even Alembic's version table was added


def test_partial_koito_schema_is_refused(any_db: Database) -> None:
    execute(any_db, "CREATE TABLE artists (id integer PRIMARY KEY)")

    with pytest.raises(SchemaError, match=r"only part of Koito's schema \(missing: api_keys"):
        schema.upgrade(any_db)


def test_status_reports_each_state(any_db: Database) -> None:
    if any_db.kind == "sqlite":
        assert schema.status(any_db).state == "missing"
        assert not any_db.path.exists()  # looking does not create the file
        execute(any_db, "")
    empty = schema.status(any_db)
    assert (empty.state, empty.revision, empty.goose_version, empty.has_lookup) == (
        "empty",
        None,
        None,
        False,
    )
    make_koito(any_db)
    koito = schema.status(any_db)
    base = 5 if any_db.kind == "postgresql" else 2
    assert (koito.state, koito.revision, koito.goose_version, koito.has_lookup) == (
        "koito",
        None,
        base,
        False,
    )
    schema.upgrade(any_db)
    ready = schema.status(any_db)
    goose = 6 if any_db.kind == "postgresql" else 2
    assert (ready.state, ready.revision, ready.goose_version, ready.has_lookup) == (
        "ready",
        HEAD,
        goose,
        True,
    )
    for current in (empty, koito, ready):
        assert current.describe().startswith(any_db.display())
    assert ready.problem is None


def test_dropped_track_lookup_is_created_again(any_db: Database) -> None:
    schema.upgrade(any_db)
    rows = goose_rows(any_db)
    execute(any_db, "DROP TABLE track_lookup")
    assert schema.status(any_db).state == "koito"

    assert schema.ensure_ready(any_db)[0] == "created track_lookup"  # goose row 6 exists already
    assert schema.status(any_db).state == "ready"
    assert goose_rows(any_db) == rows


def test_newer_koito_import_revision_is_refused(any_db: Database) -> None:
    schema.upgrade(any_db)
    execute(any_db, f"UPDATE {schema.VERSION_TABLE} SET version_num = '0099_future'")

    with pytest.raises(SchemaError, match="upgraded by a newer koito-import"):
        schema.ensure_ready(any_db)


def test_too_old_koito_schema_is_refused(pg_db: Database) -> None:
    make_koito(pg_db)
    execute(pg_db, "DELETE FROM goose_db_version WHERE version_id >= 3")

    with pytest.raises(SchemaError, match="start a current Koito once"):
        schema.ensure_ready(pg_db)


def test_two_imports_starting_at_once_create_the_schema_once(any_db: Database) -> None:
    if any_db.kind == "sqlite":
        execute(any_db, "")  # both threads must find the same empty file
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(schema.ensure_ready, [any_db, any_db]))

    created = [r for r in results if r and r[0].startswith("created Koito's schema")]
    assert len(created) == 1
    assert goose_rows(any_db)[: len(GOOSE_ROWS[any_db.kind])] == GOOSE_ROWS[any_db.kind]
    assert schema.status(any_db).state == "ready"


def test_koitos_behaviour_and_lookup_cascades_work(any_db: Database) -> None:
    schema.upgrade(any_db)
    add_listen(any_db)
    execute(
        any_db,
        "INSERT INTO track_lookup (lookup_key, artist_id, album_id, track_id)"
        " VALUES ('björk\x1fjóga\x1fhomogenic', 1, 1, 1)",
    )

    pragma = "PRAGMA foreign_keys = ON;" if any_db.kind == "sqlite" else ""
    execute(any_db, f"{pragma} DELETE FROM tracks WHERE id = 1")
    assert query(any_db, "SELECT count(*) FROM track_lookup") == [(0,)]
    execute(any_db, f"{pragma} DELETE FROM artist_releases")  # the last artist of the release
    assert query(any_db, "SELECT count(*) FROM releases") == [(0,)]
    assert query(any_db, "SELECT name FROM artists_with_name") == [("Björk",)]


def test_sqlite_file_is_sound_and_in_wal_mode(sqlite_db: Database) -> None:
    schema.upgrade(sqlite_db)
    # With rows in every table an import writes (an empty database has no key to break).
    summary = import_files(sqlite_db, "maloja", MALOJA_EXPORT)
    assert summary.inserted == 9 and summary.tracks_created > 0

    assert query(sqlite_db, "PRAGMA integrity_check") == [("ok",)]
    assert query(sqlite_db, "PRAGMA journal_mode") == [("wal",)]
    assert query(sqlite_db, "PRAGMA foreign_key_check") == []
    # The check sees a broken key when there is one (Koito's SQLite schema declares them).
    conn = sqlite3.connect(sqlite_db.path)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(
            "UPDATE listens SET track_id = 999999 WHERE rowid = (SELECT min(rowid) FROM listens)"
        )
        conn.commit()
    finally:
        conn.close()
    assert [row[0] for row in query(sqlite_db, "PRAGMA foreign_key_check")] == ["listens"]


def test_sqlite_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    db = Database("sqlite", str(tmp_path / "nowhere" / "koito.db"))

    for look_or_create in (schema.status, schema.upgrade):
        with pytest.raises(SchemaError, match=r"directory .*nowhere does not exist"):
            look_or_create(db)
    assert not db.path.parent.exists()


@pytest.mark.parametrize("make_url", [
    lambda server: "postgresql://koito:secret@127.0.0.1:1/koito",  # nothing listens there
    lambda server: database_url(server, "koito_no_such_database"),
])  # fmt: skip
def test_unreachable_postgresql_is_one_line_naming_the_database(pg_server: str, make_url) -> None:
    db = Database("postgresql", make_url(pg_server))

    for call in (schema.status, schema.upgrade, schema.ensure_ready):
        with pytest.raises(SchemaError) as failed:
            call(db)
        message = str(failed.value)
        assert message.startswith(db.display() + ": ")
        assert "\n" not in message and "secret" not in message


def test_unreadable_sqlite_file_is_one_line(tmp_path: Path) -> None:
    db = Database("sqlite", str(tmp_path / "koito.db"))
    db.path.write_bytes(b"this is not a database, just some text " * 100)

    with pytest.raises(SchemaError, match=r"koito\.db: file is not a database$"):
        schema.ensure_ready(db)
