"""Let Koito's own importer build the reference database for some input files.

    python tools/koito_reference.py --koito /path/to/koito --config-dir DIR \
        [--db postgresql://…] FILE[=NAME]...

Each FILE is copied into DIR/import/ (as NAME when given: Koito picks its importer by the file
name, which must contain maloja, Streaming_History_Audio, recenttracks, listenbrainz or koito;
a folder is zipped, for ListenBrainz exports). Koito starts, imports every file, and is stopped
once the import folder is empty. Without --db the result is DIR/koito.db (SQLite).
Prints the import time in seconds.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from koito_server import KoitoServer


def stage(inputs: list[str], import_dir: Path) -> list[Path]:
    import_dir.mkdir(parents=True, exist_ok=True)
    staged = []
    for spec in inputs:
        source, _, name = spec.partition("=")
        path = Path(source)
        target = import_dir / (name or path.name)
        if path.is_dir():
            with zipfile.ZipFile(target, "w") as zf:
                for f in sorted(path.rglob("*")):
                    if f.is_file():
                        zf.write(f, f.relative_to(path).as_posix())
        else:
            shutil.copyfile(path, target)
        staged.append(target)
    return staged


def run(
    binary: str,
    config_dir: Path,
    inputs: list[str],
    database_url: str | None = None,
    sqlite: bool = True,
    timeout_s: float = 7200,
    extra_env: dict[str, str] | None = None,
) -> float:
    import_dir = config_dir / "import"
    stage(inputs, import_dir)
    koito = KoitoServer(binary, config_dir, database_url, sqlite, extra_env)
    started = time.monotonic()
    koito.start()
    try:
        deadline = started + timeout_s
        seen = 0
        while pending := [p.name for p in import_dir.iterdir()]:
            with koito.log_path.open("rb") as log:
                log.seek(seen)
                raw = log.read()
            seen += len(raw)
            new = raw.decode(errors="replace")
            failed = [name for name in pending if f"Failed to import file: {name}" in new]
            if "Panic when importing files" in new:
                failed = pending
            if failed:
                raise RuntimeError(f"Koito's importer failed on {failed}: see {koito.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Koito's import did not finish in {timeout_s} s")
            if koito.proc is None or koito.proc.poll() is not None:
                raise RuntimeError(f"Koito exited during the import: see {koito.log_path}")
            time.sleep(0.2)
        return time.monotonic() - started
    finally:
        koito.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--koito", required=True, help="the Koito server binary")
    parser.add_argument("--config-dir", required=True, type=Path)
    parser.add_argument("--db", help="a PostgreSQL URL (default: SQLite in the config dir)")
    parser.add_argument("--timeout", type=float, default=7200)
    parser.add_argument("inputs", nargs="+", metavar="FILE[=NAME]")
    args = parser.parse_args()
    seconds = run(
        args.koito,
        args.config_dir,
        args.inputs,
        args.db,
        sqlite=not args.db,
        timeout_s=args.timeout,
    )
    print(f"{seconds:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
