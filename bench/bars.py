"""The bars of SPEC §7 (second round, issue 11), and how each one is measured.

Every figure is the best of `repeat` runs, with the median beside it: the machine is shared,
and other work only ever adds time, so the best run is the closest to what the tool itself
costs. A cold run imports into a new, empty database (creating Koito's schema is part of it);
"again" imports the same file into that database once more.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from bench.databases import fresh_database
from bench.floors import Floors, measure_floors
from bench.inputs import Input, ensure_input
from bench.measure import CLI, ROOT, RunResult, run_command, run_import
from bench.shapes import SHAPES, Shape, scale

SAMPLE = ROOT / "samples" / "maloja-export.json"
BACKEND_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
CREATED = ("artists_created", "releases_created", "tracks_created")


@dataclass(frozen=True, slots=True)
class Bar:
    name: str
    limit_s: float
    limit_mb: float | None = None


@dataclass(slots=True)
class Outcome:
    bar: Bar
    runs: list[RunResult] = field(default_factory=list)
    floor_s: float | None = None
    floor_says: str = ""
    problem: str = ""

    @property
    def best(self) -> RunResult | None:
        return min(self.runs, key=lambda r: r.wall_s) if self.runs else None

    @property
    def median_s(self) -> float | None:
        return statistics.median(r.wall_s for r in self.runs) if self.runs else None

    @property
    def peak_mb(self) -> float:
        return max((r.peak_rss_mb for r in self.runs), default=0.0)

    @property
    def passed(self) -> bool:
        best = self.best
        if best is None or self.problem:
            return False
        memory_ok = self.bar.limit_mb is None or self.peak_mb <= self.bar.limit_mb
        return best.wall_s <= self.bar.limit_s and memory_ok


@dataclass(frozen=True, slots=True)
class ImportBars:
    """One input on one back end: its cold bar, and its "again" bar when it has one."""

    shape: str
    fmt: str
    backend: str
    cold_s: float
    again_s: float | None = None
    cold_mb: float | None = None

    def bars(self, shape: Shape) -> tuple[Bar, Bar | None]:
        what = shape.name if self.fmt == "maloja" else f"{shape.name} {self.fmt}"
        head = f"{what}, {BACKEND_NAMES[self.backend]}"
        cold = Bar(f"{head}, cold", self.cold_s, self.cold_mb)
        return cold, (Bar(f"{head}, again", self.again_s) if self.again_s else None)


HELP = Bar("koito-import --help", 0.15)
NO_OP = Bar("no-op re-import of the bundled sample (SQLite)", 0.3)
IMPORTS = (
    ImportBars("seed-49k", "maloja", "postgresql", 1.5, 0.8),
    ImportBars("seed-49k", "maloja", "sqlite", 1.0, 0.6),
    ImportBars("library-346k", "maloja", "postgresql", 15.0, 4.0),
    ImportBars("library-346k", "maloja", "sqlite", 12.0, 4.0),
    ImportBars("listens-1m", "listenbrainz", "sqlite", 30.0, cold_mb=200.0),
)


@dataclass(slots=True)
class Settings:
    repeat: int
    pg: str | None
    timeout_s: float
    seed: int
    scale: float | None
    only: str | None
    extra: list[str]
    report: Callable[[str], None]


def backends_needed(only: str | None) -> set[str]:
    """The back ends the chosen bars import into."""
    return {
        spec.backend
        for spec in IMPORTS
        if any(bar and _wanted(only, bar.name) for bar in spec.bars(SHAPES[spec.shape]))
    }


def measure_all(settings: Settings) -> Iterator[Outcome]:
    """Every bar (those whose name holds `settings.only`), as it is measured."""
    if _wanted(settings.only, HELP.name):
        yield _start_up(HELP, [str(CLI), "--help"], settings)
    if _wanted(settings.only, NO_OP.name):
        yield from _no_op(settings)
    for spec in IMPORTS:
        shape = SHAPES[spec.shape]
        if settings.scale:
            shape = scale(shape, settings.scale)
        cold, again = spec.bars(shape)
        if not any(bar and _wanted(settings.only, bar.name) for bar in (cold, again)):
            continue
        yield from _imports(spec, shape, cold, again, settings)


def _wanted(only: str | None, name: str) -> bool:
    return not only or only.lower() in name.lower()


def _interpreter_floor(settings: Settings) -> float:
    """What any Python command pays before it does anything: the interpreter's start-up."""
    runs = [run_command([sys.executable, "-c", "pass"], 60) for _ in range(settings.repeat)]
    return min(r.wall_s for r in runs)


def _start_up(bar: Bar, cmd: list[str], settings: Settings) -> Outcome:
    outcome = Outcome(bar, floor_says="bare interpreter start-up")
    for _ in range(settings.repeat):
        outcome.runs.append(run_command(cmd, settings.timeout_s))
    outcome.problem = next((r.error for r in outcome.runs if r.error), "")
    outcome.floor_s = _interpreter_floor(settings)
    return outcome


def _no_op(settings: Settings) -> Iterator[Outcome]:
    with tempfile.TemporaryDirectory(prefix="koito_bench_") as tmp:
        cmd = [str(CLI), "maloja", str(SAMPLE), "--db", f"{tmp}/koito.db", "--json", "--quiet"]
        cmd.append("--create")  # the first run makes the database the others find ready
        first = run_command(cmd, settings.timeout_s)
        outcome = _start_up(NO_OP, cmd, settings)
        outcome.problem = first.error or outcome.problem
        for run in outcome.runs:
            if not outcome.problem and run.summary.get("inserted") != 0:
                outcome.problem = f"inserted {run.summary.get('inserted')} != 0"
        yield outcome


def _imports(
    spec: ImportBars, shape: Shape, cold: Bar, again: Bar | None, settings: Settings
) -> Iterator[Outcome]:
    source = ensure_input(shape, spec.fmt, settings.seed)
    settings.report(f"floors of {source.files[0].name} …")
    floors = measure_floors(source, [spec.backend], settings.pg or "")
    results = {cold: Outcome(cold), **({again: Outcome(again)} if again else {})}
    for outcome in results.values():
        outcome.floor_s = floors.for_backend(spec.backend)
        outcome.floor_says = _floor_words(spec.backend, floors)
    for attempt in range(settings.repeat):
        with fresh_database(spec.backend, settings.pg or "") as url:
            for bar, run in ((cold, "cold"), (again, "again")):
                if bar is None:
                    continue
                result = run_import(source, url, settings.timeout_s, settings.extra)
                outcome = results[bar]
                outcome.runs.append(result)
                outcome.problem = outcome.problem or check(run, source, result)
                said = f"{result.wall_s:.2f} s, {result.peak_rss_mb:.0f} MB"
                settings.report(f"{bar.name} #{attempt + 1}: {said} {outcome.problem}")
    yield from results.values()


def _floor_words(backend: str, floors: Floors) -> str:
    write = "COPY of" if backend == "postgresql" else "one SQLite transaction of"
    return (
        f"parse {floors.parse_orjson_s:.2f} s + {write} the listen rows "
        f"{floors.write_s.get(backend, 0.0):.2f} s"
    )


def check(run: str, source: Input, result: RunResult) -> str:
    """'' when the counts are what the shape promises, else what differs."""
    if result.error:
        return result.error
    want = source.shape.expected()
    if run == "again":
        want = {"inserted": 0, **dict.fromkeys(CREATED, 0), "duplicates": source.listens}
    got = {key: result.summary.get(key) for key in want}
    wrong = [f"{key} {got[key]} != {value}" for key, value in want.items() if got[key] != value]
    return "; ".join(wrong)
