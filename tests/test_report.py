"""`koito-import report` and the short report after an import, on both back ends: every number
checked against the rows it summarises, recounted here in Python the way Koito counts them."""

from __future__ import annotations

import calendar
import io
import json
import os
import re
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.cells import cell_len
from rich.console import Console

from koito_import import schema
from koito_import.core.dburl import Database
from koito_import.core.summary import Landed
from koito_import.report import queries as report_module
from koito_import.report.charts import bar, bar_chart, render_report
from koito_import.report.queries import Ranked, Report, build_report, every_month, landed_report
from tests.support import CLI, cli, db_arg, import_files, rows, value

LONG_ARTIST = "The Extraordinarily Long-Named Orchestra of 宇多田ヒカル and Her Many Friends"
LONG_ALBUM = "An Album Title So Long That No Terminal of Eighty Columns Could Ever Show It Whole"


def at(year: int, month: int, day: int = 1, hour: int = 12) -> int:
    return calendar.timegm((year, month, day, hour, 0, 0))


def scrobble(t: int, title: str, artists: list[str], album: str | None) -> dict[str, Any]:
    return {
        "time": t,
        "track": {
            "artists": artists,
            "title": title,
            "album": {"artists": artists[:1], "albumtitle": album} if album else None,
            "length": None,
        },
        "duration": None,
        "origin": "client:default",
    }


def library(tmp_path: Path) -> dict[str, Path]:
    """Maloja listens over 2019, 2021 and 2024 (none in 2020, 2022, 2023), with featured
    artists (Beta on Alpha's "Duet", Alpha on Gamma's track), ties, a very long artist and album
    name; Last.fm CSV listens for a second client (one crediting a feature in its artist string);
    and Bob's own listens."""
    songs = [
        ("Song One", ["Alpha"], "First"),
        ("Duet", ["Alpha", "Beta"], "First"),
        ("Beta Solo", ["Beta"], "Second"),
        ("Gamma Song", ["Gamma", "Alpha"], "Third"),
        ("Single", ["Delta"], None),
        ("Endless", [LONG_ARTIST], LONG_ALBUM),
    ]
    plays = {  # song index -> listens in each year
        2019: [5, 2, 3, 0, 1, 0],
        2021: [1, 3, 2, 4, 0, 2],
        2024: [2, 1, 0, 3, 3, 6],
    }
    scrobbles = []
    for year, counts in plays.items():
        for song, n in enumerate(counts):
            for i in range(n):
                title, artists, album = songs[song]
                scrobbles.append(scrobble(at(year, 1 + (i * 5 + song) % 12, 1 + song), title,
                                          artists, album))  # fmt: skip
    maloja = tmp_path / "maloja.json"
    maloja.write_bytes(orjson.dumps({"scrobbles": scrobbles}))
    lastfm = tmp_path / "lastfm.csv"
    lastfm.write_text(
        f"Alpha,First,Song One,{at(2021, 6, 2)}\n"
        f"Epsilon feat. Beta,Fifth,Together,{at(2021, 7, 3)}\n"
        f"Epsilon feat. Beta,Fifth,Together,{at(2024, 2, 4)}\n"
        f"Delta,,Single,{at(2024, 3, 6)}\n",
        encoding="utf-8",
    )
    bob = tmp_path / "bob.csv"
    bob.write_text(
        f"Beta,Second,Beta Solo,{at(2022, 5, 1)}\nBeta,Second,Beta Solo,{at(2022, 5, 2)}\n"
        f"Zeta,Sixth,Bob's Song,{at(2022, 6, 1)}\n",
        encoding="utf-8",
    )
    return {"maloja": maloja, "lastfm": lastfm, "bob": bob}


def add_user(db: Database, name: str) -> None:
    sql = "INSERT INTO users (username, role, password) VALUES (%s, 'user', %s)"
    if db.kind == "postgresql":
        import psycopg

        with psycopg.connect(db.url) as conn:
            conn.execute(sql, (name, b"not a hash"))
    else:
        import sqlite3

        with sqlite3.connect(db.path) as conn:
            conn.execute(sql.replace("%s", "?"), (name, b"not a hash"))


@pytest.fixture
def filled(any_db: Database, tmp_path: Path) -> Database:
    files = library(tmp_path)
    import_files(any_db, "maloja", files["maloja"])
    import_files(any_db, "lastfm", files["lastfm"])
    add_user(any_db, "bob")
    import_files(any_db, "lastfm", files["bob"], user="bob")
    return any_db


# -- the numbers, recounted from the rows ---------------------------------------------------


def unix(v: Any) -> int:
    return int(v.timestamp()) if isinstance(v, datetime) else int(v)


def iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def recount(
    db: Database,
    user: str | None = None,
    since: int | None = None,
    until: int | None = None,
    top: int = 1000,
) -> dict[str, Any]:
    """What `report --json` must say, from the rows, counted as Koito counts: every artist a
    track credits gets its listens, an album gets its tracks' listens."""
    users = dict(rows(db, "SELECT username, id FROM users"))
    listens = [
        (track, unix(t), client or None)
        for track, t, client, uid in rows(
            db, "SELECT track_id, listened_at, client, user_id FROM listens"
        )
        if (user is None or uid == users[user])
        and (since is None or unix(t) >= since)
        and (until is None or unix(t) <= until)
    ]
    primary = True if db.kind == "postgresql" else 1
    names = {
        kind: dict(rows(db, f"SELECT {kind}_id, alias FROM {kind}_aliases WHERE is_primary = %s",
                        primary))
        for kind in ("artist", "release", "track")
    }  # fmt: skip
    release_of = dict(rows(db, "SELECT id, release_id FROM tracks"))
    credits: dict[str, dict[int, list[tuple[bool, int]]]] = {"release": {}, "track": {}}
    for kind, table in (("release", "artist_releases"), ("track", "artist_tracks")):
        for artist, item, is_primary in rows(
            db, f"SELECT artist_id, {kind}_id, is_primary FROM {table}"
        ):
            credits[kind].setdefault(item, []).append((not is_primary, artist))
    per_artist: Counter[int] = Counter()
    for track, _, _ in listens:
        per_artist.update(artist for _, artist in credits["track"].get(track, []))
    per_album = Counter(release_of[track] for track, _, _ in listens)
    per_track = Counter(track for track, _, _ in listens)

    def ranked(counts: Counter[int], key: str, kind: str) -> list[dict[str, Any]]:
        best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        out = []
        for item, n in best:
            entry: dict[str, Any] = {"id": item, key: names[kind][item]}
            if kind != "artist":
                entry["artists"] = [names["artist"][a] for _, a in sorted(credits[kind][item])]
            out.append({**entry, "listens": n})
        return out

    times = [t for _, t, _ in listens]
    months = Counter(datetime.fromtimestamp(t, UTC).strftime("%Y-%m") for t in times)
    every = every_month(dict(months))
    if 0 < len(every) <= 24:
        chart: dict[str, Any] = {"by_month": [{"month": m, "listens": n} for m, n in every]}
    else:
        years = Counter(datetime.fromtimestamp(t, UTC).year for t in times)
        span = range(min(years), max(years) + 1) if years else range(0)
        chart = {"by_year": [{"year": y, "listens": years[y]} for y in span]}
    clients = Counter(c for _, _, c in listens)
    return {
        "user": user,
        "since": iso(since) if since is not None else None,
        "until": iso(until) if until is not None else None,
        "listens": len(listens),
        "artists": len(per_artist),
        "albums": len(per_album),
        "tracks": len(per_track),
        "first_listen": iso(min(times)) if times else None,
        "last_listen": iso(max(times)) if times else None,
        **chart,
        "top_artists": ranked(per_artist, "name", "artist"),
        "top_albums": ranked(per_album, "title", "release"),
        "top_tracks": ranked(per_track, "title", "track"),
        "clients": [
            {"client": c, "listens": n}
            for c, n in sorted(clients.items(), key=lambda cn: (-cn[1], cn[0] is None, cn[0] or ""))
        ],
    }


def report_json(db: Database, *args: str) -> dict[str, Any]:
    done = cli("report", "--json", *args, db=db)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found.pop("database") == db.display()
    return found


# -- report --json --------------------------------------------------------------------------


def test_every_number_matches_the_rows(filled: Database) -> None:
    found = report_json(filled, "--top", "1000")
    assert found == recount(filled)
    # The fixture's own shape, so the recount above is not vacuous.
    assert found["listens"] == 38 + 4 + 3
    assert [y["year"] for y in found["by_year"]] == [2019, 2020, 2021, 2022, 2023, 2024]
    assert [y["listens"] for y in found["by_year"]] == [11, 0, 14, 3, 0, 17]
    artists = {a["name"]: a["listens"] for a in found["top_artists"]}
    # Alpha: Song One 8 + 1 (Last.fm), Duet 6, and Gamma's track 7 where it is featured.
    assert artists["Alpha"] == 8 + 1 + 6 + 7
    # Beta: Beta Solo 5 (+2 of Bob's), Duet 6, and "Epsilon feat. Beta" 2.
    assert artists["Beta"] == 5 + 2 + 6 + 2
    assert {c["client"]: c["listens"] for c in found["clients"]} == {"maloja": 38, "lastfm": 7}


def test_top_lists_cut_at_top_n_with_koitos_tie_order(filled: Database) -> None:
    found = report_json(filled, "--top", "2")
    expected = recount(filled, top=2)
    assert found == expected
    assert all(len(found[k]) == 2 for k in ("top_artists", "top_albums", "top_tracks"))
    # The totals still count every artist, album and track listened to.
    assert found["tracks"] == value(filled, "SELECT count(DISTINCT track_id) FROM listens")


def test_user_and_time_window(filled: Database) -> None:
    assert report_json(filled, "--user", "Bob", "--top", "50") == recount(filled, user="bob")
    since, until = at(2021, 1, 1), at(2024, 2, 4)  # a listen sits on each bound: both count
    found = report_json(filled, "--since", str(since), "--until", "2024-02-04T12:00:00Z")
    assert found == recount(filled, since=since, until=until, top=10)
    assert found["first_listen"] == iso(since) and found["last_listen"] == iso(until)


def test_short_span_is_charted_per_month(filled: Database) -> None:
    found = report_json(filled, "--since", "2021-01-01", "--until", "2021-12-31T23:59:59")
    assert found == recount(filled, since=at(2021, 1, 1, 0), until=at(2022, 1, 1, 0) - 1, top=10)
    assert "by_year" not in found
    assert [m["month"] for m in found["by_month"]] == [f"2021-{m:02d}" for m in range(1, 13)]
    assert 0 in [m["listens"] for m in found["by_month"]]  # empty months are kept


def test_empty_database(any_db: Database) -> None:
    schema.upgrade(any_db)
    assert report_json(any_db) == {
        "user": None,
        "since": None,
        "until": None,
        "listens": 0,
        "artists": 0,
        "albums": 0,
        "tracks": 0,
        "first_listen": None,
        "last_listen": None,
        "by_year": [],
        "top_artists": [],
        "top_albums": [],
        "top_tracks": [],
        "clients": [],
    }
    shown = cli("report", db=any_db)
    assert shown.returncode == 0 and "No listens to report." in shown.stdout


def test_unknown_user_is_one_clear_line(filled: Database) -> None:
    done = cli("report", "--user", "carol", db=filled)
    assert done.returncode == 4
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"koito-import: no user 'carol' in {filled.display()} (its users: admin, bob)"
    ]


def test_no_database_or_not_koitos(fresh_db: Any, tmp_path: Path) -> None:
    missing = cli("report", db=f"sqlite:///{tmp_path / 'nothing.db'}")
    assert missing.returncode == 4 and "does not exist" in missing.stderr
    assert not (tmp_path / "nothing.db").exists()  # a report never creates a database
    (tmp_path / "empty.db").write_bytes(b"")
    for empty in (fresh_db("postgresql"), f"sqlite:///{tmp_path / 'empty.db'}"):
        done = cli("report", db=empty)
        assert done.returncode == 4 and "has no Koito tables" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_bad_bound_is_a_usage_error(tmp_path: Path) -> None:
    done = cli("report", "--since", "yesterday", db=f"sqlite:///{tmp_path / 'x.db'}")
    assert done.returncode == 2 and "--since" in done.stderr


# -- the terminal rendering -----------------------------------------------------------------

BAR = re.compile(r"^(\S.*?) +([\d,]+) ?([█▉▊▋▌▍▎▏]*) *$")
EIGHTHS = {c: i for i, c in enumerate(" ▏▎▍▌▋▊▉█")}


def cells(bar_text: str) -> float:
    return sum(EIGHTHS[c] for c in bar_text) / 8


def chart_lines(text: str, title: str) -> list[tuple[str, int, float]]:
    lines = text.splitlines()
    start = lines.index(title) + 1
    out = []
    for line in lines[start:]:
        match = BAR.match(line)
        if not match:
            break
        out.append((match[1].strip(), int(match[2].replace(",", "")), cells(match[3])))
    return out


def assert_proportional(chart: list[tuple[str, int, float]]) -> None:
    top = max(n for _, n, _ in chart)
    width = max(c for _, _, c in chart)
    for _, n, c in chart:
        assert abs(c - n / top * width) <= 1 / 16 + 1e-9 or (n and c == 1 / 8), (n, c)


def test_report_at_80_columns(filled: Database) -> None:
    done = subprocess.run(
        [*CLI, "report", "--db", db_arg(filled)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "\x1b" not in text  # not a terminal: no colour, no styles
    assert all(cell_len(line) <= 80 for line in text.splitlines()), text
    years = chart_lines(text, "Listens per year")
    assert [(y, n) for y, n, _ in years] == [
        ("2019", 11), ("2020", 0), ("2021", 14), ("2022", 3), ("2023", 0), ("2024", 17)
    ]  # fmt: skip
    assert_proportional([y for y in years if y[1]])
    assert max(c for _, _, c in years) > 40  # the longest bar uses the width
    clients = chart_lines(text, "Listens per client")
    assert [(c, n) for c, n, _ in clients] == [("maloja", 38), ("lastfm", 7)]
    assert_proportional(clients)
    assert "Top artists" in text and "Alpha" in text
    assert "…" in text  # the long album title is cut, not wrapped


def test_rendering_never_exceeds_the_width() -> None:
    report = Report(
        "SQLite /a/path/that/is/rather/long/for/a/header/line/koito.db",
        listens=123_456_789,
        artists=3,
        albums=1,
        tracks=1,
        first_listen=at(2001, 1, 1),
        last_listen=at(2024, 12, 31),
        months=[(f"{y}-01", 1_000 * (y - 2000)) for y in range(2001, 2025)],
        top_artists=[Ranked(i, LONG_ARTIST * 2, 99_999_999 - i) for i in range(1, 101)],
        top_albums=[Ranked(1, LONG_ALBUM, 7, [LONG_ARTIST, "B", "C"])],
        top_tracks=[Ranked(1, "宇多田" * 30, 7, [LONG_ARTIST])],
        clients=[("a client with a very long name indeed, longer than labels go", 5), (None, 1)],
    )
    for width in (40, 60, 80, 120):
        out = io.StringIO()
        console = Console(file=out, width=width, color_system=None, force_terminal=False)
        render_report(report, console)
        lines = out.getvalue().splitlines()
        assert all(cell_len(line) <= width for line in lines), (width, out.getvalue())
        assert any("99,999,998" in line for line in lines)  # counts are never cut
        assert "(none)" in out.getvalue()


def test_bars_are_proportional_and_ascii_without_unicode() -> None:
    assert bar(0, 10, 40) == "" and bar(1, 10, 40) == "████"
    assert cells(bar(1, 1000, 40)) == 1 / 8  # a sliver for anything above zero
    assert bar(5, 10, 40, ascii_only=True) == "#" * 20
    chart = bar_chart([("2001", 5), ("2002", 10), ("2003", 7)], width=30).plain
    assert all(cell_len(line) <= 30 for line in chart.splitlines())
    assert_proportional(chart_lines("title\n" + chart, "title"))


def test_report_in_process_matches_cli(filled: Database) -> None:
    report = build_report(filled, top=3)
    assert report.as_json() == {**recount(filled, top=3), "database": filled.display()}


# -- after an import ------------------------------------------------------------------------


def terminal(*args: str | Path, db: Database) -> subprocess.CompletedProcess[str]:
    """The command line as a person runs it: a terminal of 80 columns, without colour."""
    env = {**os.environ, "TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": "80", "TERM": "dumb"}
    return subprocess.run(
        [*CLI, *map(str, args), "--db", db_arg(db)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_import_reports_what_it_inserted_and_skipped(any_db: Database, tmp_path: Path) -> None:
    files = library(tmp_path)
    first = orjson.loads(files["maloja"].read_bytes())
    old = [s for s in first["scrobbles"] if s["time"] < at(2024, 1, 1, 0)]
    older = tmp_path / "older.json"
    older.write_bytes(orjson.dumps({"scrobbles": old}))
    done = terminal("maloja", older, db=any_db)
    assert done.returncode == 0, done.stderr
    text = ANSI.sub("", done.stdout)
    assert f"This run inserted {len(old)} listens" in text
    assert "change that password in Koito" in done.stderr  # it created admin/changeme

    # The whole export again, with two broken items: only the 2024 listens are new.
    whole = [
        *first["scrobbles"],
        scrobble(at(2024, 5, 5), "No One Sings", [], None),
        scrobble(at(2024, 5, 6), "", ["Alpha"], None),
    ]
    files["maloja"].write_bytes(orjson.dumps({"scrobbles": whole}))
    done = terminal("maloja", files["maloja"], db=any_db)
    assert done.returncode == 0, done.stderr
    text = ANSI.sub("", done.stdout)
    assert all(cell_len(line) <= 80 for line in text.splitlines()), text
    new = len(first["scrobbles"]) - len(old)
    assert f"This run inserted {new} listens" in text
    assert f"{len(old)} listens were there already (in the database" in text
    months = chart_lines(text, "Per month:")
    assert sum(n for _, n, _ in months) == new and all(m.startswith("2024-") for m, _, _ in months)
    assert_proportional([m for m in months if m[1]])
    # Its top artists, Koito's way: Alpha is featured on Gamma's 3 new listens.
    top = text[text.index("Its top artists") :]
    assert re.search(r"\b1\s+Alpha\s+6\n", top)  # Song One 2 + Duet 1 + Gamma Song 3
    assert re.search(r"\b2\s+The Extraordinarily.*\s6\n", top)  # a tie: the older artist first
    assert "Skipped 2 of" in text and "change that password" not in text

    for quiet in ("--quiet", "--json"):
        again = terminal("maloja", files["maloja"], quiet, db=any_db)
        assert "This run" not in again.stdout


def listen_keys(db: Database) -> set[tuple[int, int]]:
    return {(t, unix(when)) for t, when in rows(db, "SELECT track_id, listened_at FROM listens")}


def test_landed_tally_is_exactly_the_new_listens(any_db: Database, tmp_path: Path) -> None:
    files = library(tmp_path)
    scrobbles = orjson.loads(files["maloja"].read_bytes())["scrobbles"]
    half = tmp_path / "half.json"
    half.write_bytes(orjson.dumps({"scrobbles": scrobbles[::2]}))
    import_files(any_db, "maloja", half)
    before = {
        (t, unix(at_)) for t, at_ in rows(any_db, "SELECT track_id, listened_at FROM listens")
    }

    summary = import_files(any_db, "maloja", files["maloja"])  # one batch: old and new mixed

    new = listen_keys(any_db) - before
    assert summary.inserted == len(new) == len(scrobbles) - len(scrobbles[::2])
    assert summary.landed.tracks == Counter(t for t, _ in new)
    assert summary.landed.days == Counter(t // 86_400 for _, t in new)


def test_landed_artists_by_id_or_from_all_links(
    filled: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    landed = Landed()
    landed.add(listen_keys(filled))
    by_id = landed_report(filled, landed, top=100)
    expected = recount(filled, top=100)
    assert by_id.listens == expected["listens"] and by_id.artists == expected["artists"]
    assert [{"id": a.id, "name": a.name, "listens": a.listens} for a in by_id.top_artists] == (
        expected["top_artists"]
    )
    monkeypatch.setattr(report_module, "ALL_CREDITS_FROM", 1)  # a big import's path
    assert landed_report(filled, landed, top=100) == by_id


def test_default_user_warning(fresh_db: Any, backend: str, tmp_path: Path) -> None:
    files = library(tmp_path)
    as_json = cli("maloja", files["maloja"], "--json", db=fresh_db(backend))
    notes = json.loads(as_json.stdout)["notes"]
    assert any("'admin' with Koito's default password 'changeme'" in n for n in notes)
    db = fresh_db(backend)
    plain = cli("maloja", files["maloja"], db=db)
    last = " ".join(plain.stderr.strip().splitlines()[-2:])  # a note: on stderr, last
    assert "Koito's default password 'changeme': change that password in Koito" in last
    again = cli("lastfm", files["lastfm"], db=db)
    assert "change that password" not in again.stdout + again.stderr  # not created this time


def test_the_default_user_warning_shows_once_whatever_the_output(tmp_path: Path) -> None:
    """On a terminal, in cron (no terminal), --quiet, --json, a dry run, and the inbox's --json
    (where stdout is JSON lines alone): the warning that Koito's default user was created with
    its default password is shown once, neither twice nor never."""
    export = library(tmp_path)["maloja"]
    inbox = tmp_path / "import"
    inbox.mkdir()
    (inbox / "export.json").write_bytes(export.read_bytes())
    runs = {
        "terminal": lambda db: terminal("maloja", export, db=db),
        "cron": lambda db: cli("maloja", export, db=db),
        "--quiet": lambda db: cli("maloja", export, "--quiet", db=db),
        "--json": lambda db: cli("maloja", export, "--json", db=db),
        "--dry-run": lambda db: cli("maloja", export, "--dry-run", db=db),
        "inbox --json": lambda db: cli("inbox", inbox, "--json", "--settle", "0", db=db),
    }
    for mode, run in runs.items():
        done = run(Database("sqlite", str(tmp_path / f"{mode}.db")))
        assert done.returncode == 0, (mode, done.stderr)
        shown = ANSI.sub("", done.stdout + done.stderr)
        assert shown.count("change that password in Koito") == 1, (mode, shown)
        if "--json" in mode:
            assert all(json.loads(line) for line in done.stdout.splitlines()), done.stdout
