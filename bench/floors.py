"""The floors an import is compared with, measured in the same run: parsing the input alone,
and writing as many listen rows with PostgreSQL's COPY or one SQLite transaction."""

from __future__ import annotations

import gc
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ijson
import orjson
import psycopg

from bench.console import console
from bench.history import START
from bench.inputs import Input

TRACKS = 79_167  # the library's track count: listen rows cycle through as many track ids


@dataclass(slots=True)
class Floors:
    parse_orjson_s: float = 0.0
    parse_ijson_s: float = 0.0
    write_s: dict[str, float] = field(default_factory=dict)  # per back end

    def for_backend(self, backend: str) -> float:
        """The least an import into `backend` could take: parse everything, write the rows."""
        return self.parse_orjson_s + self.write_s.get(backend, 0.0)


def measure_floors(source: Input, backends: list[str], server: str) -> Floors:
    floors = Floors()
    gc.collect()  # garbage left by generating the input would otherwise be timed as parsing
    started = time.perf_counter()
    parsed = _parse_orjson(source)
    floors.parse_orjson_s = time.perf_counter() - started
    started = time.perf_counter()
    _parse_ijson(source)
    floors.parse_ijson_s = time.perf_counter() - started
    if parsed != source.rows:
        console.print(f"[red]warning: parsed {parsed} items, the generator wrote {source.rows}")
    if "postgresql" in backends:
        floors.write_s["postgresql"] = copy_floor(server, source.listens)
    if "sqlite" in backends:
        floors.write_s["sqlite"] = sqlite_floor(source.listens)
    return floors


def copy_floor(server: str, count: int) -> float:
    """COPY `count` listen-shaped rows (with the listens primary key) into a temp table."""
    with psycopg.connect(server) as conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE bench_listens (track_id int, listened_at timestamptz, "
            "client text, user_id int, PRIMARY KEY (track_id, listened_at))"
        )
        started = time.perf_counter()
        with cur.copy("COPY bench_listens FROM STDIN") as copy:
            for row in _listen_rows(count):
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def sqlite_floor(count: int) -> float:
    """The same rows into a WAL SQLite file in one transaction (Koito's SQLite listens shape)."""
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "floor.db")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE listens (track_id INTEGER, listened_at INTEGER, client TEXT NOT NULL "
            "DEFAULT '', user_id INTEGER, PRIMARY KEY (track_id, listened_at))"
        )
        started = time.perf_counter()
        rows = ((i % TRACKS + 1, START + i, "maloja", 1) for i in range(count))
        with conn:
            conn.executemany("INSERT INTO listens VALUES (?, ?, ?, ?)", rows)
        elapsed = time.perf_counter() - started
        conn.close()
        return elapsed


def _parse_orjson(source: Input) -> int:
    """The fastest possible read: every document at once (not what a streaming reader does)."""
    if source.fmt == "listenbrainz":
        return sum(1 for _ in _jsonl_lines(source.files[0]))
    count = 0
    for path in source.files:
        document = orjson.loads(path.read_bytes())
        count += len(document["scrobbles"] if source.fmt == "maloja" else document)
    return count


def _parse_ijson(source: Input) -> int:
    """A streaming read, as the importer must do it (constant memory)."""
    if source.fmt == "listenbrainz":
        return sum(1 for _ in _jsonl_lines(source.files[0]))
    prefix = "scrobbles.item" if source.fmt == "maloja" else "item"
    count = 0
    for path in source.files:
        with path.open("rb") as f:
            count += sum(1 for _ in ijson.items(f, prefix, use_float=True))
    return count


def _jsonl_lines(path: Path) -> Iterator[Any]:
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("listens/"):
                with zf.open(name) as entry:
                    for line in entry:
                        yield orjson.loads(line)


def _listen_rows(count: int) -> Iterator[tuple[int, datetime, str, int]]:
    for i in range(count):
        yield i % TRACKS + 1, datetime.fromtimestamp(START + i, UTC), "maloja", 1
