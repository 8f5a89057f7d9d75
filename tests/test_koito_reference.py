"""Regression tests for differences found by running Koito itself (issue 10).

Each test imports an input and checks the rows against what Koito v0.1.10's own importer
built from the same input (MusicBrainz, Deezer and the Cover Art Archive disabled), written
down here as expected values; no Koito binary is needed. The rows are read by content with
the comparison tool's snapshot (koito_import.compare).
"""

from __future__ import annotations

from conftest import FIXTURES
from support import import_files

from koito_import.compare.snapshot import Snapshot, load
from koito_import.core.dburl import Database

LP3 = FIXTURES / "koito" / "koito_export_lp3.json"
AMERICAN_FOOTBALL = "4ebb5ad3-9018-407d-8c24-c03011ab9ac6"
LP3_MBID = "d0ec30bd-7cdc-417c-979d-5a0631b8a161"


def names(snap: Snapshot, links: dict[int, bool]) -> list[tuple[str, bool]]:
    return sorted((snap.artists[i].name, primary) for i, primary in links.items())


def test_koito_export_album_lists_every_artist_of_its_tracks(any_db: Database) -> None:
    """Two tracks of one album credit different featured artists: Koito's SaveTrack links
    every artist of a new track to the album too, so the album lists all three."""
    import_files(any_db, "koito", LP3)
    snap = load(any_db)

    (album,) = snap.releases.values()
    assert album.title == "American Football (LP3)"
    assert album.mbid == LP3_MBID
    assert names(snap, album.artists) == [
        ("American Football", True),
        ("Elizabeth Powell", False),
        ("Rachel Goswell", False),
    ]
    tracks = {t.title: names(snap, t.artists) for t in snap.tracks.values()}
    assert tracks == {
        "Every Wave To Ever Rise (feat. Elizabeth Powell)": [
            ("American Football", True),
            ("Elizabeth Powell", False),
        ],
        "I Can't Feel You (feat. Rachel Goswell)": [
            ("American Football", True),
            ("Rachel Goswell", False),
        ],
    }


def test_koito_export_alias_sources_are_koitos(any_db: Database) -> None:
    """Koito keeps every alias of an exported entity but not its source: the primary alias is
    Canonical, the others MusicBrainz (artists, albums) or Import (tracks)."""
    import_files(any_db, "koito", LP3)
    snap = load(any_db)

    artists = {a.name: a for a in snap.artists.values()}
    assert artists["American Football"].aliases == (
        ("AmFootball", "MusicBrainz", False),
        ("American Football", "Canonical", True),
    )
    assert artists["American Football"].mbid == AMERICAN_FOOTBALL
    assert artists["Rachel Goswell"].aliases == (("Rachel Goswell", "Canonical", True),)
    assert all(a.image for a in artists.values())
    assert artists["Rachel Goswell"].image_source == "https://img.example/Rachel_Goswell.jpg"
    (album,) = snap.releases.values()
    assert album.aliases == (
        ("American Football (LP3)", "Canonical", True),
        ("LP3", "MusicBrainz", False),
    )
    tracks = {t.title: (t.aliases, t.duration) for t in snap.tracks.values()}
    assert tracks["I Can't Feel You (feat. Rachel Goswell)"] == (
        (
            ("I Can't Feel You (feat. Rachel Goswell)", "Canonical", True),
            ("I Cant Feel You", "Import", False),
        ),
        287,
    )
    listens = sorted((x.listened_at, x.client, x.user) for x in snap.listens)
    assert listens == [
        (1641681128, "test client", "admin"),
        (1642310891, "test client", "admin"),
    ]


def test_koito_export_entities_with_mbids_stay_apart(any_db: Database) -> None:
    """Two artists named Nirvana with different MBIDs, then one without: Koito's importer
    matches an exported entity with an MBID by that MBID only, so it keeps two artists (and
    their albums and tracks); the listen without MBIDs goes to the first by name."""
    import_files(any_db, "koito", FIXTURES / "koito" / "koito_export_same_names.json")
    snap = load(any_db)

    artists = sorted((a.name, a.mbid) for a in snap.artists.values())
    assert artists == [
        ("Nirvana", "9282c8b4-ca0b-4c6b-b7e3-4f7762dfc4d6"),
        ("Nirvana", "f2fb0ff0-5679-42ec-a55c-15109ce6e320"),
    ]
    releases = sorted(
        (
            (r.title, r.mbid, snap.artists[next(iter(r.artists))].mbid)
            for r in snap.releases.values()
        ),
        key=lambda r: r[1] or "~",  # the one with an MBID first
    )
    assert releases == [
        ("Nevermind", "22222222-2222-4222-8222-222222222222", artists[0][1]),
        ("Nevermind", None, artists[1][1]),
    ]
    by_time = sorted(
        (x.listened_at, snap.tracks[x.track].mbid, snap.releases[snap.tracks[x.track].release].mbid)
        for x in snap.listens
    )  # times differ, so nothing else is compared
    assert by_time == [
        (1704067200, "11111111-1111-4111-8111-111111111111", releases[0][1]),
        (1704153600, None, None),
        (1704240000, "11111111-1111-4111-8111-111111111111", releases[0][1]),
    ]


MBID_AND_FEAT = FIXTURES / "lastfm" / "recenttracks-mbid-and-feat.json"
AMBAR_MBID = "0c8a4d6c-1b4e-4f5a-9d1e-6b2f3c4d5e6f"


def listened_tracks(snap: Snapshot) -> list[tuple[str, str, str, bool, int]]:
    """Per track that has listens: title, its artists, its release's artists, whether it has
    an MBID, and its listens."""
    counts: dict[int, int] = {}
    for x in snap.listens:
        counts[x.track] = counts.get(x.track, 0) + 1

    def credit(links: dict[int, bool]) -> str:
        return ", ".join(f"{n}{'*' if p else ''}" for n, p in names(snap, links))

    return sorted(
        (
            t.title,
            credit(t.artists),
            credit(snap.releases[t.release].artists),
            t.mbid is not None,
            counts[id_],
        )
        for id_, t in snap.tracks.items()
        if id_ in counts
    )


def test_lastfm_song_with_and_without_artist_mbid_is_two_tracks(any_db: Database) -> None:
    """Last.fm gives an artist MBID on some scrobbles of a song and not on others. Koito
    credits the MBID's artist alone on the first (no feat. parsing) and parses the text of the
    others, so `Canción (feat. Björk)` is two tracks, whichever scrobble comes first. Koito
    also names the MBID's artist after the first scrobble carrying it (`Ámbar · Björk`, the
    newest here: an export lists newest first) and finds it by MBID on all the others."""
    import_files(any_db, "lastfm", MBID_AND_FEAT)
    snap = load(any_db)

    assert sorted((a.name, a.mbid) for a in snap.artists.values()) == [
        ("Björk", None),
        ("Céu", None),
        ("Lô", None),
        ("Ámbar", None),
        ("Ámbar · Björk", AMBAR_MBID),
    ]
    assert listened_tracks(snap) == [
        ("Canción (feat. Björk)", "Björk, Ámbar*", "Björk, Céu, Lô, Ámbar*", False, 2),
        ("Canción (feat. Björk)", "Ámbar · Björk*", "Ámbar · Björk*", True, 2),
        ("Dúo", "Björk, Ámbar*", "Björk, Ámbar*", False, 1),
        ("Dúo", "Ámbar · Björk*", "Ámbar · Björk*", False, 1),
        ("Noche (feat. Céu & Lô)", "Céu, Lô, Ámbar*", "Björk, Céu, Lô, Ámbar*", False, 2),
        ("Noche (feat. Céu & Lô)", "Ámbar · Björk*", "Ámbar · Björk*", True, 1),
        ("Río (feat. Björk)", "Björk, Ámbar*", "Björk, Ámbar*", False, 1),
        ("Río (feat. Björk)", "Ámbar · Björk*", "Ámbar · Björk*", False, 1),
    ]


def test_lastfm_song_with_and_without_artist_mbid_imports_once(any_db: Database) -> None:
    """The two credits of one song are cached apart, so importing again maps each scrobble
    to its own track and adds nothing."""
    first = import_files(any_db, "lastfm", MBID_AND_FEAT)
    before = listened_tracks(load(any_db))
    again = import_files(any_db, "lastfm", MBID_AND_FEAT)

    assert (first.inserted, again.inserted, again.duplicates) == (11, 0, 11)
    assert (again.artists_created, again.releases_created, again.tracks_created) == (0, 0, 0)
    assert listened_tracks(load(any_db)) == before


def test_koito_export_names_with_spaces_are_saved_as_koito_saves_them(any_db: Database) -> None:
    """Koito stores an exported artist's name trimmed, and saves every alias of a new album or
    track trimmed too: a padded title keeps its Canonical alias and gains the trimmed one."""
    import_files(any_db, "koito", FIXTURES / "koito" / "koito_export_padded_names.json")
    snap = load(any_db)

    assert sorted(a.aliases for a in snap.artists.values()) == [
        (("Björk", "Canonical", True),),
        (("Sigur Rós", "Canonical", True),),
    ]
    assert sorted(r.aliases for r in snap.releases.values()) == [
        (("Homogenic", "MusicBrainz", False), ("Homogenic ", "Canonical", True)),
        (("Takk...", "Canonical", True),),
    ]
    assert sorted(t.aliases for t in snap.tracks.values()) == [
        (("Hoppípolla", "Canonical", True),),
        (("Jóga", "Import", False), ("Jóga ", "Canonical", True)),
    ]


def test_an_album_title_with_spaces_gains_its_trimmed_alias_on_postgresql_only(
    any_db: Database,
) -> None:
    """Koito's PostgreSQL SaveAlbum saves a new release's aliases trimmed as well; its SQLite
    one does not. The title itself is kept as the scrobble gives it, on both."""
    import_files(any_db, "lastfm", FIXTURES / "lastfm" / "recenttracks-album-title-whitespace.json")
    (album,) = load(any_db).releases.values()

    expected = {
        "postgresql": (("Homogenic", "MusicBrainz", False), ("Homogenic ", "Canonical", True)),
        "sqlite": (("Homogenic ", "Canonical", True),),
    }
    assert album.aliases == expected[any_db.kind]


TWO_CREDITS = FIXTURES / "koito" / "koito_export_two_credits.json"


def test_koito_export_song_credited_to_one_then_two_artists_is_two_tracks(
    any_db: Database,
) -> None:
    """`Song` on `Alb` by [A], then the same song and album by [A, B] (issue 22): Koito's
    importer (v0.2.1 and v0.1.10, SQLite and PostgreSQL: the same rows) finds A and Alb, makes
    B, and makes a second track credited to A and B, linking B to the album; both listens stay
    apart. The credit is part of the listen's lookup key, so a second run maps each to its own
    track again."""
    first = import_files(any_db, "koito", TWO_CREDITS)
    again = import_files(any_db, "koito", TWO_CREDITS)
    snap = load(any_db)

    assert (first.artists_created, first.releases_created, first.tracks_created) == (2, 1, 2)
    assert (again.inserted, again.duplicates, again.tracks_created) == (0, 2, 0)
    assert sorted(a.aliases for a in snap.artists.values()) == [
        (("A", "Canonical", True),),
        (("B", "Canonical", True),),
    ]
    (album,) = snap.releases.values()
    assert album.aliases == (("Alb", "Canonical", True),)
    assert names(snap, album.artists) == [("A", True), ("B", False)]
    by_time = sorted(
        (x.listened_at, snap.tracks[x.track].title, names(snap, snap.tracks[x.track].artists))
        for x in snap.listens
    )
    assert by_time == [
        (1704110400, "Song", [("A", True)]),
        (1704196800, "Song", [("A", True), ("B", False)]),
    ]
    assert {t.duration for t in snap.tracks.values()} == {180}
