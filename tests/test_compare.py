"""The comparison tool (koito_import.compare): differences by content, never by id."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES
from support import import_files, rows

from koito_import.compare.accept import koito_pieces, split_accepted
from koito_import.compare.diff import ONLY_OTHER, ONLY_REF, Difference, compare
from koito_import.compare.snapshot import Artist, Snapshot, load
from koito_import.core.dburl import Database

MALOJA = FIXTURES / "maloja" / "export.json"
TOOL = Path(__file__).parent.parent / "tools" / "compare.py"


def execute(db: Database, sql: str) -> None:
    rows(db, sql + (" RETURNING 1" if db.kind == "postgresql" else ""))


def test_same_input_compares_equal_across_back_ends(fresh_db) -> None:
    pg, lite = fresh_db("postgresql"), fresh_db("sqlite")
    import_files(pg, "maloja", MALOJA)
    import_files(lite, "maloja", MALOJA)
    assert compare(load(pg), load(lite)) == []


def test_differences_are_named_by_content(any_db: Database, sqlite_db: Database) -> None:
    import_files(any_db, "maloja", MALOJA)
    import_files(sqlite_db, "maloja", MALOJA)
    execute(sqlite_db, "UPDATE tracks SET duration = 999 WHERE id = (SELECT min(id) FROM tracks)")
    execute(
        sqlite_db,
        "DELETE FROM listens WHERE listened_at = (SELECT max(listened_at) FROM listens)",
    )
    execute(sqlite_db, "UPDATE artist_aliases SET source = 'User' WHERE alias = 'Björk'")

    found = compare(load(any_db), load(sqlite_db))
    by_field = {(d.kind, d.field): d for d in found}
    assert len(found) == 3, found
    assert by_field[("track", "duration")].other == "999"
    assert by_field[("listen", ONLY_REF)].entity.startswith("admin@")
    alias = by_field[("artist", "aliases")]
    assert (alias.entity, alias.ref, alias.other) == (
        "'Björk'",
        "'Björk'/Canonical (primary)",
        "'Björk'/User (primary)",
    )


def test_an_entity_missing_on_one_side(sqlite_db: Database, tmp_path: Path) -> None:
    other = Database("sqlite", str(tmp_path / "other.db"))
    import_files(sqlite_db, "maloja", MALOJA)
    import_files(other, "maloja", MALOJA)
    import_files(other, "lastfm", FIXTURES / "lastfm" / "scrobbles.csv")

    found = compare(load(sqlite_db), load(other))
    assert found
    assert all(d.field == ONLY_OTHER for d in found)
    assert {d.kind for d in found} >= {"artist", "release", "track", "listen"}


def test_command_line_exit_status(sqlite_db: Database, tmp_path: Path) -> None:
    other = Database("sqlite", str(tmp_path / "other.db"))
    import_files(sqlite_db, "maloja", MALOJA)
    import_files(other, "maloja", MALOJA)
    same = subprocess.run(
        [sys.executable, str(TOOL), str(sqlite_db.path), str(other.path)],
        capture_output=True,
        text=True,
    )
    assert (same.returncode, same.stdout.strip()) == (0, "equal")

    execute(other, "DELETE FROM listens WHERE listened_at = (SELECT min(listened_at) FROM listens)")
    differ = subprocess.run(
        [sys.executable, str(TOOL), str(sqlite_db.path), str(other.path)],
        capture_output=True,
        text=True,
    )
    assert differ.returncode == 1
    assert f"listen: {ONLY_REF} (1)" in differ.stdout


# --- the deliberate differences (README, "Proven against Koito") ---------------------------


def snapshot_of(*names: str) -> Snapshot:
    artists = {i: Artist(((n, "Canonical", True),), None, False, None) for i, n in enumerate(names)}
    return Snapshot("sqlite", artists, {}, {}, [])


def links_difference(ref: tuple, other: tuple) -> Difference:
    return Difference("track", "'Song'", "artists", "", "", (ref, other))


def test_feat_and_accepts_exactly_koitos_cut_names() -> None:
    """Koito v0.1.10 made "Br" and "on Flowers" of "(feat. Brandon Flowers and Sandra
    Bullock)"; koito-import keeps "Brandon Flowers"."""
    assert koito_pieces("Brandon Flowers") == ["Br", "on Flowers"]
    assert koito_pieces("Sandra Bullock") == ["S", "ra Bullock"]
    ref = snapshot_of("The Killers", "Br", "on Flowers", "S", "ra Bullock")
    other = snapshot_of("The Killers", "Brandon Flowers", "Sandra Bullock")
    found = [
        Difference("artist", "'Br'", ONLY_REF),
        Difference("artist", "'Brandon Flowers'", ONLY_OTHER),
        Difference("artist", "'The Bland'", ONLY_REF),  # not a piece of any name: kept
        links_difference(
            (("Br", False), ("The Killers", True), ("on Flowers", False)),
            (("Brandon Flowers", False), ("The Killers", True)),
        ),
    ]
    kept, accepted = split_accepted(found, ["feat-and"], ref, other)
    assert kept == [found[2]]
    assert accepted == {"feat-and": 3}
    kept, accepted = split_accepted(found, [], ref, other)
    assert kept == found


def test_feat_and_does_not_accept_a_name_differing_only_in_spaces() -> None:
    """Koito stores "Sigur Rós " from a Koito export trimmed: not a cut name, so kept."""
    ref = snapshot_of("Sigur Rós")
    other = snapshot_of("Sigur Rós ")
    found = [
        Difference("artist", "'Sigur Rós'", ONLY_REF),
        Difference("artist", "'Sigur Rós '", ONLY_OTHER),
        links_difference((("Sigur Rós", True),), (("Sigur Rós ", True),)),
    ]
    kept, accepted = split_accepted(found, ["feat-and", "feat-order"], ref, other)
    assert (kept, accepted) == (found, {})


def test_feat_order_accepts_only_a_moved_primary_flag() -> None:
    ref = snapshot_of("Daft Punk", "Pharrell Williams")
    moved = links_difference(
        (("Daft Punk", False), ("Pharrell Williams", True)),
        (("Daft Punk", True), ("Pharrell Williams", False)),
    )
    missing = links_difference(
        (("Daft Punk", True), ("Pharrell Williams", False)), (("Daft Punk", True),)
    )
    kept, accepted = split_accepted([moved, missing], ["feat-order"], ref, ref)
    assert (kept, accepted) == ([missing], {"feat-order": 1})
    kept, _ = split_accepted([moved], ["feat-and"], ref, ref)
    assert kept == [moved]
