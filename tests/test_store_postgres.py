"""PostgresStore against a real server (SPEC §2, §3, §5): what it writes and finds, users, the
advisory lock, dry-run rehearsals, and start-up that fails cleanly."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import bcrypt
import psycopg
import pytest

from koito_import.core.dburl import Database
from koito_import.schema import upgrade
from koito_import.store.base import (
    BatchWrite,
    Listen,
    LockHeld,
    LookupRow,
    NewArtist,
    NewRelease,
    NewTrack,
    StoreError,
)
from koito_import.store.postgres import PostgresStore
from tests.support import (
    MBID_A,
    MBID_B,
    MBID_R,
    MBID_T,
    canonical,
    catalogue_batch,
    lookup_threads,
    rows,
)

KEY = "daft punk\x1fget lucky\x1frandom access memories"


@pytest.fixture
def ready_db(pg_db: Database) -> Database:
    upgrade(pg_db)
    return pg_db


@pytest.fixture
def store(ready_db: Database) -> Iterator[PostgresStore]:
    s = PostgresStore(ready_db, workers=4)
    try:
        yield s
    finally:
        s.close()


def _user(store: PostgresStore) -> int:
    return store.user(None, "admin", "changeme").id


def _count(db: Database, table: str) -> int:
    return rows(db, f"SELECT count(*) FROM {table}")[0][0]


# --- writing and finding ---------------------------------------------------------------------


def test_write_lands_koito_rows(store: PostgresStore, ready_db: Database) -> None:
    user_id = _user(store)
    assert store.write(catalogue_batch(user_id)).inserted == 2

    artists = rows(
        ready_db, "SELECT id, name, musicbrainz_id::text FROM artists_with_name ORDER BY id"
    )
    assert [(n, m) for _, n, m in artists] == [("Daft Punk", MBID_A), ("Pharrell Williams", None)]
    daft, pharrell = (a[0] for a in artists)
    assert rows(
        ready_db,
        "SELECT alias, source, is_primary FROM artist_aliases WHERE artist_id = %s ORDER BY alias",
        daft,
    ) == [("Daft Punk", "Canonical", True), ("ダフト・パンク", "Canonical", False)]
    [(release, various, image, source)] = rows(
        ready_db,
        "SELECT id, various_artists, image::text, image_source FROM releases_with_title "
        "WHERE title = 'Random Access Memories'",
    )
    assert (various, image, source) == (
        True,
        "55555555-5555-5555-5555-555555555555",
        "https://img.example/ram.jpg",
    )
    [(track, track_release, duration)] = rows(
        ready_db, "SELECT id, release_id, duration FROM tracks_with_title WHERE title = 'Get Lucky'"
    )
    assert (track_release, duration) == (release, 369)
    assert sorted(rows(ready_db, "SELECT * FROM artist_releases")) == [
        (daft, release, True),
        (pharrell, release, False),
    ]
    assert sorted(rows(ready_db, "SELECT * FROM artist_tracks")) == [
        (daft, track, True),
        (pharrell, track, False),
    ]
    assert rows(
        ready_db,
        "SELECT track_id, extract(epoch FROM listened_at)::bigint, user_id, client FROM listens "
        "ORDER BY listened_at",
    ) == [(track, 1_700_000_000, user_id, None), (track, 1_700_000_400, user_id, "maloja")]
    assert rows(ready_db, "SELECT artist_id, album_id, track_id FROM track_lookup") == [
        (daft, release, track)
    ]
    assert store.lookup([KEY, "nope"]) == {KEY: track}

    # The same listens again (now against the existing ids) change nothing.
    again = BatchWrite(
        user_id=user_id,
        listens=[Listen(track, 1_700_000_000, "other"), Listen(track, 1_700_000_400, None)],
        lookups=[LookupRow(KEY, daft, release, track)],
    )
    assert store.write(again).inserted == 0
    assert (_count(ready_db, "listens"), _count(ready_db, "track_lookup")) == (2, 1)


def test_fetch_artists_by_alias_and_mbid(store: PostgresStore) -> None:
    store.write(catalogue_batch(_user(store)))
    [daft] = store.fetch_artists(["ダフト・パンク"], [])  # any alias, not only the primary
    assert daft.aliases == ["Daft Punk", "ダフト・パンク"] and daft.mbid == MBID_A
    assert store.fetch_artists(["daft punk", "DAFT PUNK"], []) == []  # case-sensitive
    [by_mbid] = store.fetch_artists([], [MBID_A, MBID_B])
    assert by_mbid.id == daft.id
    both = store.fetch_artists(["Pharrell Williams", "Daft Punk"], [MBID_A])
    assert sorted(a.aliases[0] for a in both) == ["Daft Punk", "Pharrell Williams"]
    assert store.fetch_artists([], []) == []


def test_fetch_releases_and_tracks(store: PostgresStore) -> None:
    user_id = _user(store)
    store.write(catalogue_batch(user_id))
    daft, pharrell = (a.id for a in store.fetch_artists(["Daft Punk", "Pharrell Williams"], []))
    store.write(BatchWrite(user_id=user_id, artists=[NewArtist(canonical("Other"))]))
    [other_id] = [a.id for a in store.fetch_artists(["Other"], [])]

    [release] = store.fetch_releases([("Random Access Memories", pharrell)], [])
    assert release.title == "Random Access Memories"
    assert release.artist_ids == {daft, pharrell} and release.mbid is None
    assert store.fetch_releases([("Random Access Memories", other_id)], []) == []
    assert store.fetch_releases([("random access memories", daft)], []) == []

    [track] = store.fetch_tracks([("Get Lucky", release.id)], [])
    assert (track.title, track.release_id, track.duration) == ("Get Lucky", release.id, 369)
    assert track.artist_ids == {daft, pharrell}
    assert store.fetch_tracks([("Get Lucky", release.id + 1)], []) == []
    assert store.fetch_tracks([("GET LUCKY", release.id)], []) == []

    store.write(
        BatchWrite(
            user_id=user_id, release_mbids=[(release.id, MBID_R)], track_mbids=[(track.id, MBID_T)]
        )
    )
    assert [r.id for r in store.fetch_releases([], [MBID_R])] == [release.id]
    assert [t.id for t in store.fetch_tracks([("nothing", 1)], [MBID_T])] == [track.id]


def test_a_release_without_artist_links_is_found_by_its_mbid(store: PostgresStore) -> None:
    """As on SQLite: an MBID finds the release whatever links it has."""
    store.write(
        BatchWrite(user_id=_user(store), releases=[NewRelease(canonical("Lonely"), mbid=MBID_R)])
    )
    [release] = store.fetch_releases([], [MBID_R])
    assert (release.title, release.mbid, release.artist_ids) == ("Lonely", MBID_R, set())


def test_look_ups_spread_over_the_workers_find_everything(
    store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = _user(store)
    n = 300
    store.write(
        BatchWrite(
            user_id=user_id,
            artists=[NewArtist(canonical(f"Artist {i}")) for i in range(n)],
            releases=[NewRelease(canonical(f"Album {i}")) for i in range(n)],
            tracks=[NewTrack(canonical(f"Song {i}"), release=-(i + 1)) for i in range(n)],
            artist_releases=[(-(i + 1), -(i + 1), True) for i in range(n)],
            artist_tracks=[(-(i + 1), -(i + 1), True) for i in range(n)],
            lookups=[LookupRow(f"k{i}", -(i + 1), -(i + 1), -(i + 1)) for i in range(n)],
        )
    )
    threads = lookup_threads(monkeypatch, chunk=7)
    artists = store.fetch_artists([f"Artist {i}" for i in range(n)] + ["Missing"], [])
    by_name = {a.aliases[0]: a.id for a in artists}
    releases = store.fetch_releases([(f"Album {i}", by_name[f"Artist {i}"]) for i in range(n)], [])
    tracks = store.fetch_tracks([(r.title.replace("Album", "Song"), r.id) for r in releases], [])

    assert (len(artists), len(releases), len(tracks)) == (n, n, n)
    assert len(store.lookup([f"k{i}" for i in range(n)])) == n
    assert len({t for t in threads if t.startswith("lookup")}) > 1, threads


def test_mbid_and_duration_filled_only_where_empty(
    store: PostgresStore, ready_db: Database
) -> None:
    user_id = _user(store)
    store.write(catalogue_batch(user_id))
    daft, pharrell = (a.id for a in store.fetch_artists(["Daft Punk", "Pharrell Williams"], []))
    [release] = store.fetch_releases([("Random Access Memories", daft)], [])
    [track] = store.fetch_tracks([("Get Lucky", release.id)], [])
    store.write(
        BatchWrite(
            user_id=user_id,
            artists=[NewArtist(canonical("Nile Rodgers"))],
            tracks=[NewTrack(canonical("Lose Yourself to Dance"), release=track.release_id)],
            artist_mbids=[(daft, MBID_B), (pharrell, MBID_A), (-1, MBID_B)],
            track_durations=[(track.id, 1), (-1, 353)],
        )
    )
    assert rows(
        ready_db, "SELECT name, musicbrainz_id::text FROM artists_with_name ORDER BY id"
    ) == [("Daft Punk", MBID_A), ("Pharrell Williams", None), ("Nile Rodgers", MBID_B)]
    assert rows(ready_db, "SELECT title, duration FROM tracks_with_title ORDER BY id") == [
        ("Get Lucky", 369),
        ("Lose Yourself to Dance", 353),
    ]


def test_failed_batch_leaves_nothing(store: PostgresStore, ready_db: Database) -> None:
    user_id = _user(store)
    bad = BatchWrite(
        user_id=user_id,
        artists=[NewArtist(canonical("Half Written"))],
        listens=[Listen(track=999_999, listened_at=1, client=None)],  # no such track
    )
    with pytest.raises(StoreError, match="foreign key") as error:
        store.write(bad)
    assert str(error.value).startswith(f"writing to {store.description} failed")
    assert "\n" not in str(error.value)
    assert _count(ready_db, "artists") == 0
    assert store.write(catalogue_batch(user_id)).inserted == 2  # the connection is still usable


# --- users -------------------------------------------------------------------------------------


def test_default_user_created_once(store: PostgresStore, ready_db: Database) -> None:
    first = store.user(None, "Admin", "changeme")
    assert first.created and first.username == "admin"
    [(role, password)] = rows(ready_db, "SELECT role::text, password FROM users")
    assert role == "admin" and bcrypt.checkpw(b"changeme", bytes(password))
    again = store.user(None, "admin", "changeme")
    assert (again.id, again.created) == (first.id, False)
    assert store.user("ADMIN", "x", "y").id == first.id  # Koito stores names lower-case
    with pytest.raises(StoreError, match=f"no user 'bob' in {store.description}"):
        store.user("bob", "admin", "changeme")
    assert _count(ready_db, "users") == 1


def test_lowest_admin_is_the_default_user_and_users_without_admin_need_a_name(
    store: PostgresStore, ready_db: Database
) -> None:
    with psycopg.connect(ready_db.url) as conn:
        conn.execute(
            "INSERT INTO users (id, username, role, password) OVERRIDING SYSTEM VALUE VALUES "
            "(1, 'alice', 'user', '\\x00'), (2, 'bob', 'user', '\\x00')"
        )
    with pytest.raises(StoreError, match="has users but no admin; name one with --user NAME"):
        store.user(None, "admin", "changeme")
    assert store.user("alice", "admin", "changeme").id == 1
    with psycopg.connect(ready_db.url) as conn:
        conn.execute(
            "INSERT INTO users (id, username, role, password) OVERRIDING SYSTEM VALUE VALUES "
            "(4, 'dave', 'admin', '\\x00'), (3, 'carol', 'admin', '\\x00')"
        )
    user = store.user(None, "admin", "changeme")
    assert (user.id, user.username, user.created) == (3, "carol", False)


# --- the import lock -----------------------------------------------------------------------


def test_import_lock_excludes_another_store_until_released(
    store: PostgresStore, ready_db: Database
) -> None:
    other = PostgresStore(ready_db, workers=1)
    try:
        with store.import_lock(0):
            start = time.monotonic()
            with (
                pytest.raises(LockHeld, match="another koito-import is writing to") as error,
                other.import_lock(0.3),
            ):
                pass
            assert time.monotonic() - start >= 0.3
            assert "--wait SECONDS" in str(error.value)
            # Koito's own connections are not blocked by it.
            assert store.write(catalogue_batch(_user(store))).inserted == 2
        with other.import_lock(0):
            pass
    finally:
        other.close()


def test_import_lock_released_on_error(store: PostgresStore, ready_db: Database) -> None:
    with pytest.raises(RuntimeError), store.import_lock(0):
        raise RuntimeError("boom")
    other = PostgresStore(ready_db, workers=1)
    try:
        with other.import_lock(0):
            pass
    finally:
        other.close()


# --- rehearsals (--dry-run) ------------------------------------------------------------------


def test_a_rehearsal_sees_its_own_batches_and_leaves_nothing(ready_db: Database) -> None:
    rehearsal = PostgresStore(ready_db, workers=8, rehearsal=True)
    try:
        user_id = _user(rehearsal)
        assert rehearsal.write(catalogue_batch(user_id)).inserted == 2
        assert [a.aliases[0] for a in rehearsal.fetch_artists(["Daft Punk"], [])] == ["Daft Punk"]
        assert len(rehearsal.lookup([KEY])) == 1
    finally:
        rehearsal.close()
    for table in ("users", "artists", "listens", "track_lookup"):
        assert _count(ready_db, table) == 0, table


# --- start-up that fails: one line, and no connection left behind ---------------------------


@pytest.fixture
def limited_role(ready_db: Database) -> Iterator[tuple[str, str]]:
    """(role, its URL to the test database): a role whose connections can be limited and
    counted. Roles are server-wide, so the name is unique and the role dropped afterwards."""
    role = f"ki_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ready_db.url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'")
    parts = urlsplit(ready_db.url)
    netloc = f"{role}:pw@{parts.hostname}:{parts.port or 5432}"
    yield role, urlunsplit(parts._replace(netloc=netloc))
    with psycopg.connect(ready_db.url, autocommit=True) as admin:
        admin.execute(f"DROP OWNED BY {role}")
        admin.execute(f"DROP ROLE {role}")


def _connections(db: Database, role: str) -> int:
    """The role's sessions still open. A client's close returns before the server has ended
    its backend, so a session going away is given up to 10 s to leave pg_stat_activity."""
    deadline = time.monotonic() + 10
    while True:
        count = rows(db, "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", role)[0][0]
        if count == 0 or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


def _admin(db: Database, sql: str) -> None:
    with psycopg.connect(db.url, autocommit=True) as admin:
        admin.execute(sql)


def test_a_failed_second_connection_closes_the_first(
    ready_db: Database, limited_role: tuple[str, str]
) -> None:
    role, url = limited_role
    _admin(ready_db, f"ALTER ROLE {role} CONNECTION LIMIT 1")
    with pytest.raises(StoreError, match="too many connections") as error:
        PostgresStore(Database("postgresql", url), workers=2)
    assert str(error.value).startswith("opening PostgreSQL")
    assert "pw@" not in str(error.value)
    assert _connections(ready_db, role) == 0  # while the failed store is still referenced
    del error


def test_temp_tables_refused_is_a_store_error_and_closes_everything(
    ready_db: Database, limited_role: tuple[str, str]
) -> None:
    role, url = limited_role
    name = urlsplit(ready_db.url).path.lstrip("/")
    _admin(ready_db, f'REVOKE TEMPORARY ON DATABASE "{name}" FROM PUBLIC')
    with pytest.raises(StoreError, match="permission denied") as error:
        PostgresStore(Database("postgresql", url), workers=2)
    assert _connections(ready_db, role) == 0
    del error


def test_a_look_up_connection_that_cannot_open_fails_at_once_in_one_line(
    ready_db: Database, limited_role: tuple[str, str]
) -> None:
    role, url = limited_role
    _admin(ready_db, f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    _admin(ready_db, f"ALTER ROLE {role} CONNECTION LIMIT 2")  # the writer and the lock only
    store = PostgresStore(Database("postgresql", url), workers=2)
    try:
        # The server's own reason, at once: not a pool's timeout after retrying in the background.
        with pytest.raises(StoreError, match="too many connections") as error:
            store.lookup(["a key"])
        assert str(error.value).startswith("reading from PostgreSQL")
    finally:
        store.close()
    assert _connections(ready_db, role) == 0


def test_a_failure_under_the_lock_is_not_hidden_by_the_unlock(store: PostgresStore) -> None:
    """The server going away fails the import and then the unlock: the user hears of the first."""
    with pytest.raises(StoreError, match="the import's own failure"), store.import_lock(0):
        store._locker.close()  # the lock's connection is gone, as after a server restart
        raise StoreError("the import's own failure")
