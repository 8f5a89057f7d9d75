"""Maloja exports imported into a real database, checked row by row."""

from __future__ import annotations

import pytest

from koito_import.core.dburl import Database
from koito_import.core.model import UNIT_SEPARATOR
from tests.conftest import FIXTURES, DatabaseFactory
from tests.support import catalog, import_files, listens_per_artist, lookup_threads, rows, value

EXPORT = FIXTURES / "maloja" / "export.json"


def test_import_builds_koitos_catalog(any_db: Database) -> None:
    summary = import_files(any_db, "maloja", EXPORT)

    assert (summary.read, summary.skipped, summary.inserted) == (12, 3, 9)
    assert dict(summary.skip_reasons) == {"no artist": 1, "no title": 1, "no track": 1}
    assert listens_per_artist(any_db) == {
        "Björk": 3,
        "Kanade Ishihara": 1,
        "Magnify Tokyo": 2,
        "Cherish": 1,
        "Mötley Crüe": 1,
        "Daft Punk": 1,
        "Sigur Rós": 1,
        "宇多田ヒカル": 1,
    }
    # "Magnify Tokyo • X" moves first and splits: Magnify Tokyo is the primary artist.
    assert rows(
        any_db,
        """SELECT a.name FROM artist_tracks at
        JOIN tracks_with_title t ON t.id = at.track_id
        JOIN artists_with_name a ON a.id = at.artist_id
        WHERE t.title = %s AND at.is_primary""",
        "伊吹",
    ) == [("Magnify Tokyo",)]
    # One release "Magnify Tokyo" shared by both tracks, linked to all three artists.
    assert (
        value(any_db, "SELECT count(*) FROM releases_with_title WHERE title = %s", "Magnify Tokyo")
        == 1
    )
    assert sorted(
        r[0]
        for r in rows(
            any_db,
            """SELECT a.name FROM artist_releases ar
        JOIN releases_with_title r ON r.id = ar.release_id
        JOIN artists_with_name a ON a.id = ar.artist_id WHERE r.title = %s""",
            "Magnify Tokyo",
        )
    ) == ["Cherish", "Kanade Ishihara", "Magnify Tokyo"]
    # A null album falls back to the track title, as Koito does.
    assert rows(
        any_db,
        """SELECT r.title FROM tracks_with_title t
        JOIN releases_with_title r ON r.id = t.release_id WHERE t.title = %s""",
        "Kickstart My Heart",
    ) == [("Kickstart My Heart",)]
    # Names differing only in case are one artist for Maloja.
    daft = "SELECT count(*) FROM artist_aliases WHERE lower(alias) = 'daft punk'"
    assert value(any_db, daft) == 1
    assert value(any_db, "SELECT count(*) FROM listens WHERE client = 'maloja'") == 9


def test_created_entities_carry_canonical_aliases_and_lookup_rows(any_db: Database) -> None:
    import_files(any_db, "maloja", EXPORT)

    sources = {r[0] for r in rows(any_db, "SELECT DISTINCT source FROM artist_aliases")}
    assert sources == {"Canonical"}
    assert value(any_db, "SELECT count(*) FROM artist_aliases WHERE NOT is_primary") == 0
    key = UNIT_SEPARATOR.join(["björk", "jóga", "homogenic"])
    assert rows(
        any_db,
        """SELECT a.name, r.title, t.title FROM track_lookup k
        JOIN artists_with_name a ON a.id = k.artist_id
        JOIN releases_with_title r ON r.id = k.album_id
        JOIN tracks_with_title t ON t.id = k.track_id WHERE k.lookup_key = %s""",
        key,
    ) == [("Björk", "Homogenic", "Jóga")]
    assert value(any_db, "SELECT count(*) FROM track_lookup") == 7


def test_second_import_inserts_and_creates_nothing(any_db: Database) -> None:
    first = import_files(any_db, "maloja", EXPORT)
    before = catalog(any_db)
    second = import_files(any_db, "maloja", EXPORT)

    assert first.inserted == 9
    assert (second.inserted, second.duplicates) == (0, 9)
    assert (second.artists_created, second.releases_created, second.tracks_created) == (0, 0, 0)
    assert catalog(any_db) == before


def test_list_form_is_read_like_the_export(any_db: Database) -> None:
    summary = import_files(any_db, "maloja", FIXTURES / "maloja" / "api-list.json")

    assert (summary.read, summary.inserted) == (6, 6)
    assert (
        value(any_db, "SELECT count(*) FROM artists_with_name WHERE name = %s", "Mötley Crüe") == 1
    )


@pytest.mark.parametrize("batch_size", [1, 7, 5000])
def test_worker_count_and_batch_size_do_not_change_the_catalog(
    fresh_db: DatabaseFactory, backend: str, batch_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks of 3 keys: even these small batches spread their look-ups over the workers.
    threads = lookup_threads(monkeypatch, chunk=3)
    built = []
    for workers in (1, 8):
        threads.clear()
        db = fresh_db(backend)
        summary = import_files(
            db,
            "maloja",
            FIXTURES / "maloja" / "shared-features.json",
            workers=workers,
            batch_size=batch_size,
        )
        assert summary.inserted == 400
        names = [r[0] for r in rows(db, "SELECT name FROM artists_with_name")]
        assert len(names) == len(set(names)), "an artist was created twice"
        assert len(names) == 37 + 4  # main artists, and the four features the fixture uses
        built.append(catalog(db))
        pooled = {t for t in threads if t.startswith("lookup")}
        if backend == "postgresql" and workers > 1 and batch_size > 3:
            assert len(pooled) > 1, threads  # the look-ups did run in parallel
    assert built[0] == built[1]


def test_time_window_drops_listens_outside_it(any_db: Database) -> None:
    summary = import_files(any_db, "maloja", EXPORT, after=1_710_000_300, before=1_710_003_000)

    assert summary.skip_reasons["outside --after/--before"] == 2
    assert summary.inserted == 7


def test_default_user_is_created_once(any_db: Database) -> None:
    first = import_files(any_db, "maloja", EXPORT)
    import_files(any_db, "maloja", EXPORT)

    assert first.user == "admin"
    assert rows(any_db, "SELECT username, role FROM users") == [("admin", "admin")]
    assert any("default user" in note for note in first.notes)
