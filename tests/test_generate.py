"""The seeded benchmark generators, at small scale: deterministic, valid, and shaped so that
Koito's rules (re-implemented here in a few lines, per SPEC §3) create exactly the expected
catalogue from every format."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from itertools import pairwise
from pathlib import Path

import pytest

# `bench` lives beside the package, not in it; plain `pytest` puts only tests/ on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import generate, history, inputs, shapes
from bench.catalog import build_catalog
from bench.shapes import SHAPES, Shape, scale

SMALL = scale(SHAPES["seed-49k"], 500 / 49_050)
SMALL_LIBRARY = scale(SHAPES["library-346k"], 1_500 / 346_631)

# ---- Koito's offline matching, reduced to what the generated data exercises


FEAT_BRACKET = re.compile(r"(?i)\(feat\. ([^)]*)\)")
FEAT_INLINE = re.compile(r"(?i)feat\. ([^()\[\]]+)$")
FEAT_SPLIT = re.compile(r"(?i)\s*(?:,|&|and|·)\s*")


def parse_artists(artist: str, title: str) -> list[str]:
    """Koito's ParseArtists for the forms the generators write."""
    found: list[str] = []
    if match := FEAT_INLINE.search(artist):
        found += FEAT_SPLIT.split(match[1])
        artist = artist.replace(match[0], "")
    found.append(artist.strip())
    for pattern in (FEAT_BRACKET, FEAT_INLINE):
        if match := pattern.search(title):
            found += FEAT_SPLIT.split(match[1])
    return list(dict.fromkeys(n.strip() for n in found if n.strip()))


def maloja_names(artists: list[str]) -> list[str]:
    """SPEC §4: move the first ' • ' entry to the front, split, de-duplicate ignoring case."""
    ordered = list(artists)
    joined = next((i for i, a in enumerate(ordered) if " • " in a), None)
    if joined is not None:
        ordered.insert(0, ordered.pop(joined))
    seen: dict[str, str] = {}
    for name in (p for a in ordered for p in a.split(" • ")):
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def koito_counts(scrobbles: Iterable[tuple[list[str], str, str]]) -> dict[str, int]:
    """(artist names, track title, release title) → what Koito would create, per SPEC §3."""
    artists: dict[str, int] = {}
    releases: dict[str, list[set[int]]] = {}  # title → the artist links of each release
    tracks: set[tuple[str, int, frozenset[int]]] = set()
    listens = 0
    for names, title, release_title in scrobbles:
        ids = [artists.setdefault(name, len(artists)) for name in names]
        candidates = releases.setdefault(release_title or title, [])
        found = next((r for r in candidates if ids[0] in r), None)
        if found is None:
            found = set()
            candidates.append(found)
        found.update(ids)
        release_id = id(found)
        tracks.add((title, release_id, frozenset(ids)))
        listens += 1
    return {
        "inserted": listens,
        "artists_created": len(artists),
        "releases_created": sum(len(v) for v in releases.values()),
        "tracks_created": len(tracks),
    }


# ---- readers of the generated files


def maloja_scrobbles(path: Path) -> list[dict]:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["maloja"]["export_time"] > 0
    return document["scrobbles"]


def spotify_rows(out_dir: Path) -> list[dict]:
    rows: list[dict] = []
    for path in sorted(out_dir.glob("Streaming_History_Audio_*.json"), key=_chunk_number):
        rows += json.loads(path.read_text(encoding="utf-8"))
    return rows


def _chunk_number(path: Path) -> int:
    return int(path.stem.rsplit("_", 1)[1])


def listenbrainz_lines(path: Path) -> Iterator[tuple[str, dict]]:
    with zipfile.ZipFile(path) as zf:
        assert json.loads(zf.read("user.json"))["username"]
        for name in zf.namelist():
            if name.startswith("listens/"):
                for line in zf.read(name).decode("utf-8").splitlines():
                    yield name, json.loads(line)


def lb_names(listen: dict) -> list[str]:
    meta = listen["track_metadata"]
    mapping = meta.get("mbid_mapping") or {}
    if mapping.get("artists"):
        return [a["artist_credit_name"] for a in mapping["artists"]]
    if meta["additional_info"].get("artist_names"):
        return meta["additional_info"]["artist_names"]
    return parse_artists(meta["artist_name"], meta["track_name"])


# ---- tests


@pytest.fixture(scope="module")
def small_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("generated")
    paths = {
        "maloja": out / "small.json",
        "spotify": out / "spotify",
        "listenbrainz": out / "small.zip",
    }
    for fmt, path in paths.items():
        generate.generate(SMALL, fmt, path)
    return paths


def test_reference_shapes_match_the_spec() -> None:
    assert shapes.EXPECTED["seed-49k"] == {
        "inserted": 49_050,
        "artists_created": 5_589,
        "releases_created": 2_628,
        "tracks_created": 12_000,
    }
    assert shapes.EXPECTED["library-346k"] == {
        "inserted": 346_631,
        "artists_created": 17_242,
        "releases_created": 39_149,
        "tracks_created": 79_167,
    }
    assert SMALL.listens == 500


@pytest.mark.parametrize("shape", [SHAPES["seed-49k"], SMALL, SMALL_LIBRARY], ids=lambda s: s.name)
def test_catalogue_has_exactly_the_shape_counts(shape: Shape) -> None:
    catalog = build_catalog(shape)
    names = [
        (
            [catalog.artists[a].name for a in t.artists],
            t.title,
            catalog.releases[t.release].title,
        )
        for t in catalog.tracks
    ]
    counts = koito_counts(names)
    assert counts == {**shape.expected(), "inserted": len(catalog.tracks)}


@pytest.mark.parametrize("fmt", generate.FORMATS)
def test_same_seed_same_bytes(fmt: str, tmp_path: Path) -> None:
    def snapshot(path: Path) -> list[tuple[str, bytes]]:
        if path.is_dir():
            return [(f.name, f.read_bytes()) for f in sorted(path.iterdir())]
        return [("", path.read_bytes())]

    first, second = tmp_path / "a", tmp_path / "b"
    suffix = {"maloja": ".json", "spotify": "", "listenbrainz": ".zip"}[fmt]
    generate.generate(SMALL, fmt, first.with_suffix(suffix))
    generate.generate(SMALL, fmt, second.with_suffix(suffix))
    assert snapshot(first.with_suffix(suffix)) == snapshot(second.with_suffix(suffix))
    other = tmp_path / "c"
    generate.generate(SMALL, fmt, other.with_suffix(suffix), seed=7)
    assert snapshot(other.with_suffix(suffix)) != snapshot(first.with_suffix(suffix))


def test_maloja_file(small_files: dict[str, Path]) -> None:
    scrobbles = maloja_scrobbles(small_files["maloja"])
    assert len(scrobbles) == SMALL.listens
    times = [s["time"] for s in scrobbles]
    assert all(a < b for a, b in pairwise(times))
    assert times[0] >= history.START
    assert history.END - 365 * 86_400 < times[-1] < history.END + 30 * 86_400
    tracks = [s["track"] for s in scrobbles]
    assert any(t["album"] is None for t in tracks)
    assert any(len(t["artists"]) > 1 and " • " in t["artists"][-1] for t in tracks)
    assert any("(feat. " in t["title"] for t in tracks)
    text = json.dumps(scrobbles, ensure_ascii=False)
    assert not text.isascii()
    assert re.search(r"[\u3040-\u9fff\uac00-\ud7a3]", text), "CJK or Hangul"
    assert re.search(r"[\u0400-\u04ff]", text), "Cyrillic"
    assert re.search(r"[àâãçéèêëîïôöùûüñß]", text), "accented Latin"
    counts = koito_counts(
        (
            maloja_names(t["artists"]),
            t["title"],
            t["album"]["albumtitle"] if t["album"] else "",
        )
        for t in tracks
    )
    assert counts == SMALL.expected()


def test_spotify_files(small_files: dict[str, Path]) -> None:
    names = [p.name for p in small_files["spotify"].iterdir()]
    assert names and all(
        re.fullmatch(r"Streaming_History_Audio_\d{4}(-\d{4})?_\d+\.json", n) for n in names
    )
    rows = spotify_rows(small_files["spotify"])
    assert {"ts", "platform", "ms_played", "conn_country", "ip_addr", "spotify_track_uri",
            "episode_name", "reason_start", "reason_end", "shuffle", "skipped", "offline",
            "offline_timestamp", "incognito_mode"} <= set(rows[0])  # fmt: skip
    stamps = [r["ts"] for r in rows]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s) for s in stamps)
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    counted = [
        r for r in rows if r["reason_end"] == "trackdone" and r["master_metadata_track_name"]
    ]
    assert len(rows) > len(counted), "skips and podcasts are mixed in"
    assert any(r["episode_name"] for r in rows)
    counts = koito_counts(
        (
            parse_artists(r["master_metadata_album_artist_name"], r["master_metadata_track_name"]),
            r["master_metadata_track_name"],
            r["master_metadata_album_album_name"],
        )
        for r in counted
    )
    assert counts == SMALL.expected()


def test_listenbrainz_zip(small_files: dict[str, Path]) -> None:
    lines = list(listenbrainz_lines(small_files["listenbrainz"]))
    assert all(re.fullmatch(r"listens/\d{4}/\d{1,2}\.jsonl", name) for name, _ in lines)
    listens = [listen for _, listen in lines]
    times = [listen["listened_at"] for listen in listens]
    assert all(a < b for a, b in pairwise(times))
    mappings = [listen["track_metadata"]["mbid_mapping"] for listen in listens]
    assert None in mappings and any(mappings)
    assert any("release_name" not in listen["track_metadata"] for listen in listens)
    counts = koito_counts(
        (
            lb_names(listen),
            listen["track_metadata"]["track_name"],
            listen["track_metadata"].get("release_name") or "",
        )
        for listen in listens
    )
    assert counts == SMALL.expected()


def test_scale_keeps_shapes_feasible() -> None:
    tiny = scale(SHAPES["library-346k"], 0.0005)
    assert tiny.tracks <= tiny.listens and tiny.albums <= tiny.tracks
    catalog = build_catalog(tiny)
    assert len(catalog.tracks) == tiny.tracks
    assert shapes.with_listens(SHAPES["library-346k"], 1_000_000).listens == 1_000_000


def test_input_cache_key_covers_every_generator_module() -> None:
    """Editing any module the generator imports must change the key of the cached inputs."""
    listing = (
        "import sys, bench.generate\nprint(*(m for m in sys.modules if m.split('.')[0] == 'bench'))"
    )
    imported = subprocess.run(
        [sys.executable, "-c", listing],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout.split()
    packages = {"bench", "bench.writers"}  # their __init__ files hold docstrings only
    hashed = {module.__name__ for module in inputs.GENERATOR_MODULES}
    assert hashed == set(imported) - packages
