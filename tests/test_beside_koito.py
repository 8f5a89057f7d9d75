"""Importing beside a running Koito: an entity Koito creates while a batch is being planned is
not created a second time (store.concurrent). Koito is played by plain SQL inserts, as its
SaveArtist/SaveAlbum/SaveTrack write them."""

from __future__ import annotations

import threading

import pytest
from conftest import FIXTURES
from support import import_files, rows

from koito_import import schema
from koito_import.catalog.artist_names import compile_separators
from koito_import.catalog.batch import BatchBuilder, BatchPlanner, KeyedBatch
from koito_import.catalog.resolver import Resolver
from koito_import.core.dburl import Database
from koito_import.core.model import Scrobble
from koito_import.store import open_store
from koito_import.store.base import CatalogChanged

NEW = Scrobble(
    artist="Live Artist", track="Live Song", listened_at=1_700_000_000, release="Live Album"
)


def keyed(*scrobbles: Scrobble) -> KeyedBatch:
    """The scrobbles as the pipeline hands them to the planner: one batch, grouped by key."""
    builder = BatchBuilder(len(scrobbles) + 1, compile_separators(None))
    for s in scrobbles:
        builder.add(s)
    batch = builder.flush()
    assert batch is not None
    return batch


def koito_creates_artist(db: Database, name: str) -> None:
    """What Koito's SaveArtist writes: the artist (its id from the table's own sequence) and
    its Canonical primary alias."""
    if db.kind == "postgresql":
        (new_id,) = rows(db, "INSERT INTO artists DEFAULT VALUES RETURNING id")[0]
        returning = " RETURNING 1"
    else:
        rows(db, "INSERT INTO artists DEFAULT VALUES")
        new_id, returning = rows(db, "SELECT max(id) FROM artists")[0][0], ""
    rows(
        db,
        "INSERT INTO artist_aliases (artist_id, alias, source, is_primary) "
        f"VALUES (%s, %s, 'Canonical', true){returning}",
        new_id,
        name,
    )


def test_a_batch_koito_overtook_is_planned_again(any_db: Database) -> None:
    import_files(any_db, "maloja", FIXTURES / "maloja" / "export.json")
    listens_before = rows(any_db, "SELECT count(*) FROM listens")[0][0]
    store = open_store(any_db, workers=1)
    try:
        user_id = store.user(None, "admin", "changeme").id
        planner = BatchPlanner(store, Resolver(store, compile_separators(None)))
        stale = planner.plan(keyed(NEW), user_id)
        assert [a.aliases[0].alias for a in stale.artists] == ["Live Artist"]

        koito_creates_artist(any_db, "Live Artist")
        with pytest.raises(CatalogChanged):
            store.write(stale, None)
        assert rows(any_db, "SELECT count(*) FROM listens")[0][0] == listens_before

        fresh = planner.plan(keyed(NEW), user_id)
        assert fresh.artists == []  # Koito's artist is found now
        assert store.write(fresh, None).inserted == 1
    finally:
        store.close()
    artists = rows(any_db, "SELECT count(*) FROM artist_aliases WHERE alias = 'Live Artist'")
    assert artists == [(1,)]


def test_entities_koito_created_under_other_names_do_not_stop_a_batch(any_db: Database) -> None:
    import_files(any_db, "maloja", FIXTURES / "maloja" / "export.json")
    store = open_store(any_db, workers=1)
    try:
        user_id = store.user(None, "admin", "changeme").id
        planner = BatchPlanner(store, Resolver(store, compile_separators(None)))
        changes = planner.plan(keyed(NEW), user_id)
        koito_creates_artist(any_db, "Somebody Else")
        assert store.write(changes, None).inserted == 1
    finally:
        store.close()


def test_koito_artist_committed_after_a_later_id_is_not_created_again(pg_db: Database) -> None:
    """Issue 22: Koito request A inserts artist 1 and its alias and stays open; request B
    commits artist 2; a batch creating A's artist is planned (an id-range mark would be 2, and
    A's artist, invisible, is below it); A commits. The batch must find A's artist, never make
    a second: the mark waits for A's insert to end, so planning sees it."""
    import psycopg

    import_files(pg_db, "maloja", FIXTURES / "maloja" / "export.json")
    held = psycopg.connect(pg_db.url)  # Koito request A: one transaction, not committed
    (held_id,) = held.execute("INSERT INTO artists DEFAULT VALUES RETURNING id").fetchone()
    held.execute(
        "INSERT INTO artist_aliases (artist_id, alias, source, is_primary) "
        "VALUES (%s, 'Live Artist', 'Canonical', true)",
        (held_id,),
    )
    koito_creates_artist(pg_db, "Somebody Else")  # request B, committed with a higher id
    committer = threading.Timer(1.5, held.commit)
    committer.start()
    store = open_store(pg_db, workers=1)
    try:
        user_id = store.user(None, "admin", "changeme").id
        planner = BatchPlanner(store, Resolver(store, compile_separators(None)))
        changes = planner.plan(keyed(NEW), user_id)
        assert store.write(changes, None).inserted == 1
    finally:
        store.close()
        committer.join()
        held.close()
    assert rows(pg_db, "SELECT artist_id FROM artist_aliases WHERE alias = 'Live Artist'") == [
        (held_id,)
    ]
    listened = "SELECT a.artist_id FROM listens l JOIN artist_tracks a USING (track_id) "
    at = "WHERE l.listened_at = to_timestamp(%s)"
    assert rows(pg_db, listened + at, NEW.listened_at) == [(held_id,)]


def test_a_dry_run_of_many_batches_does_not_wait_for_itself(pg_db: Database) -> None:
    """A rehearsal's uncommitted rows hold the entity tables to its end: its marks must not
    wait for them (a SHARE lock would, for ever)."""
    schema.upgrade(pg_db)
    done: list[int] = []
    export = FIXTURES / "maloja" / "export.json"
    worker = threading.Thread(
        target=lambda: done.append(
            import_files(pg_db, "maloja", export, dry_run=True, batch_size=2).inserted
        ),
        daemon=True,
    )
    worker.start()
    worker.join(120)
    assert done == [9]
