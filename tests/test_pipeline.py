"""The pipeline around the planner (issue 11): every input is parsed once, large inputs go
through the spool file, and progress follows the real work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from koito_import.catalog.artist_names import compile_separators
from koito_import.catalog.batch import BatchBuilder
from koito_import.core.dburl import Database
from koito_import.core.model import Alias, KoitoEntity, KoitoListenEntities, Scrobble
from koito_import.core.summary import Summary
from koito_import.importer import reading, spool
from koito_import.importer.options import IMPORTING, ImportOptions
from koito_import.importer.pipeline import run_import
from koito_import.importer.progress import QuietReporter
from koito_import.sources.base import ByteCounter
from tests.support import catalog, import_files

WHEN = 1_700_000_000


def export(path: Path, count: int) -> Path:
    scrobbles = [
        {
            "time": WHEN + 60 * i,
            "track": {
                "artists": [f"Artist {i % 37}"],
                "title": f"Track {i % 113}",
                "album": {"albumtitle": f"Album {i % 41}"},
            },
        }
        for i in range(count)
    ]
    path.write_text(json.dumps({"maloja": {}, "scrobbles": scrobbles}))
    return path


class Recorder(QuietReporter):
    def __init__(self) -> None:
        self.stages: list[str] = []
        self.seen: list[tuple[str, int, int, int]] = []  # stage, done, total, inserted

    def stage(self, name: str) -> None:
        self.stages.append(name)

    def progress(self, summary: Summary, counter: ByteCounter) -> None:
        self.seen.append((self.stages[-1], counter.done, counter.total, summary.inserted))


def options(db: Database, path: Path, batch_size: int) -> ImportOptions:
    return ImportOptions(
        "maloja",
        [path],
        db,
        batch_size=batch_size,
        separators=compile_separators(None),
        create=True,
    )


def test_a_large_input_is_parsed_once_and_spooled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = export(tmp_path / "e.json", 2_000)
    in_memory = Database("sqlite", str(tmp_path / "memory.db"))
    import_files(in_memory, "maloja", path, batch_size=150)

    reads: list[Path] = []
    real_read = reading.read_inputs
    monkeypatch.setattr(
        reading, "read_inputs", lambda s, p, *a: reads.extend(p) or real_read(s, p, *a)
    )
    monkeypatch.setattr(spool, "KEEP_IN_MEMORY", 500)  # the rest goes to the temporary file
    files: list[Any] = []
    make_file = spool.tempfile.TemporaryFile

    def spy(*args: Any, **kwargs: Any) -> Any:
        files.append(make_file(*args, **kwargs))
        return files[-1]

    monkeypatch.setattr(spool.tempfile, "TemporaryFile", spy)
    spooled = Database("sqlite", str(tmp_path / "spooled.db"))
    summary = import_files(spooled, "maloja", path, batch_size=150)

    assert reads == [path]
    # The batches beyond the first 500 listens went through one temporary file, closed since.
    assert len(files) == 1 and files[0].closed
    assert (summary.read, summary.inserted, summary.batches) == (2_000, 2_000, 14)
    assert catalog(spooled) == catalog(in_memory)


def test_progress_follows_reading_then_each_batch_written(tmp_path: Path) -> None:
    path = export(tmp_path / "e.json", 1_000)
    recorder = Recorder()
    db = Database("sqlite", str(tmp_path / "koito.db"))
    run_import(options(db, path, 300), recorder)

    reading = [s for s in recorder.seen if s[0] != IMPORTING]
    assert reading and reading[-1][1] == reading[-1][2] == path.stat().st_size
    importing = [s[1:] for s in recorder.seen if s[0] == IMPORTING]
    # Listens, not bytes: none at first (not 100 % before anything is written), then batch by
    # batch, with what each batch inserted.
    assert importing == [
        (0, 1_000, 0),
        (300, 1_000, 300),
        (600, 1_000, 600),
        (900, 1_000, 900),
        (1_000, 1_000, 1_000),
    ]


def test_spool_file_gives_back_every_field(tmp_path: Path) -> None:
    koito = KoitoListenEntities(
        artists=[KoitoEntity([Alias("A", "Canonical", True)], "a" * 8, "http://x/a.jpg")],
        album=KoitoEntity([Alias("R", "Canonical", True)], various_artists=True),
        track=KoitoEntity([Alias("T", "Canonical", True)], duration=200),
    )
    scrobbles = [
        Scrobble(
            artist="A feat. B",
            track="T",
            listened_at=WHEN + i,
            artist_names=["A", "B"],
            artist_mbids=["m1"],
            artist_mbid_map=[("A", "m1")],
            release="R",
            recording_mbid="r1",
            release_mbid="rel1",
            duration=200 + i,
            client="c",
            koito=koito,
        )
        for i in range(5)
    ]
    builder = BatchBuilder(2, compile_separators(None))
    batches = [b for s in scrobbles if (b := builder.add(s))] + [builder.flush()]
    kept = spool.Spool(keep_in_memory=0)
    for batch in batches:
        kept.append(batch)
    try:
        assert list(kept) == batches
    finally:
        kept.close()
