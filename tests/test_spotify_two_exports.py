"""Spotify's two exports of one history (issue 22): the account data (`StreamingHistory*.json`,
to the minute, no album) and the extended history (`Streaming_History_Audio_*.json`, to the
second). A listen known to the minute is the same play as a listen of the same song (artist
and title, ignoring case) ending in that minute, whatever its album: imported in either order,
or together, the database is the same, holding the listen to the second."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from koito_import.core.dburl import Database
from koito_import.core.model import MINUTE_CLIENT
from tests.conftest import DatabaseFactory
from tests.support import catalog, import_files, rows
from tests.test_ledger import ledger_entities, ledger_listens, lookups, orphans


def extended(ts: str, artist: str, title: str, album: str) -> dict[str, Any]:
    return {
        "ts": ts,
        "master_metadata_track_name": title,
        "master_metadata_album_artist_name": artist,
        "master_metadata_album_album_name": album,
        "ms_played": 200_000,
        "reason_end": "trackdone",
    }


def account(end: str, artist: str, title: str) -> dict[str, Any]:
    return {"endTime": end, "artistName": artist, "trackName": title, "msPlayed": 200_000}


EXTENDED = [
    extended("2024-01-01T12:00:37Z", "Artist X", "Song One", "Album One"),
    extended("2024-01-01T12:04:05Z", "Artist X", "Song Two", "Album One"),
    extended("2024-01-01T12:10:00Z", "Artist Y", "Only Extended", "Album Y"),  # second 0
]
ACCOUNT = [
    account("2024-01-01 12:00", "Artist X", "song one"),  # E1's play: another case, no album
    account("2024-01-01 12:04", "Artist X", "Song Two"),  # E2's play
    account("2024-01-01 12:20", "Artist X", "Only Account"),
    account("2024-01-01 12:01", "Artist X", "Song One"),  # not E1's minute: another play
]
KEPT = [  # title, unix time, client
    ("Only Account", 1704111600, MINUTE_CLIENT),
    ("Only Extended", 1704111000, "spotify"),
    ("Song One", 1704110437, "spotify"),
    ("Song Two", 1704110645, "spotify"),
    # 12:01's play: its track (and album) are named by the first account-data listen of the
    # song (the lookup key ignores case), the one at 12:00, in every order.
    ("song one", 1704110460, MINUTE_CLIENT),
]


def exports(tmp_path: Path) -> tuple[Path, Path]:
    ext = tmp_path / "Streaming_History_Audio_2024_0.json"
    acc = tmp_path / "StreamingHistory_music_0.json"
    ext.write_text(json.dumps(EXTENDED))
    acc.write_text(json.dumps(ACCOUNT))
    return ext, acc


def state(db: Database) -> dict[str, Any]:
    return {**catalog(db), "lookups": lookups(db)}


def listens(db: Database) -> list[tuple[Any, ...]]:
    sql = """SELECT t.title, l.listened_at, l.client FROM listens l
             JOIN tracks_with_title t ON t.id = l.track_id"""
    if db.kind == "postgresql":
        sql = sql.replace("l.listened_at", "extract(epoch FROM l.listened_at)::bigint")
    return sorted(rows(db, sql))


def test_either_order_or_both_at_once_give_one_database(
    fresh_db: DatabaseFactory, backend: str, tmp_path: Path
) -> None:
    ext, acc = exports(tmp_path)
    extended_first, account_first, together = (fresh_db(backend) for _ in range(3))

    first = import_files(extended_first, "spotify", ext)
    then = import_files(extended_first, "spotify", acc)
    assert (first.inserted, then.inserted, then.duplicates) == (3, 2, 2)
    assert then.minute_duplicates == 2
    assert any("2 listens known to the minute" in n for n in then.notes)
    assert (then.tracks_created, then.releases_created) == (2, 2)  # for Only Account, M4
    assert listens(extended_first) == KEPT

    first = import_files(account_first, "spotify", acc)
    then = import_files(account_first, "spotify", ext)
    assert (first.inserted, then.inserted, then.minute_replaced) == (4, 3, 2)
    assert any("2 listens known to the minute" in n and "replaced" in n for n in then.notes)

    both = import_files(together, "spotify", acc, ext)
    assert (both.inserted, both.duplicates) == (5, 2)

    assert state(account_first) == state(extended_first) == state(together)
    for db in (extended_first, account_first, together):
        assert listens(db) == KEPT
        assert orphans(db) == {}


def test_the_ledger_forgets_what_was_replaced(any_db: Database, tmp_path: Path) -> None:
    """The minute listens replaced, and the entities only they used, leave the ledger, so
    `undo` of the account-data run removes what it still owns and nothing else."""
    db = any_db
    ext, acc = exports(tmp_path)
    import_files(db, "spotify", acc)
    import_files(db, "spotify", ext)
    on = {t for t, _ in ledger_listens(db, 1)}
    tracks = {row[0] for row in rows(db, "SELECT id FROM tracks")}
    assert on <= tracks and len(ledger_listens(db, 1)) == 2  # Only Account, Song One at 12:01
    assert {e for (e,) in ledger_entities(db, "track")} <= tracks
