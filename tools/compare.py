"""Compare two Koito databases by content: python tools/compare.py REFERENCE OTHER.

Each database is a PostgreSQL URL or a SQLite path. REFERENCE is what Koito built (its own
importer); OTHER is what koito-import built. Exit status 0 when they are equal (apart from the
deliberate differences accepted with --accept), 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from koito_import.compare.accept import RULES, split_accepted
from koito_import.compare.diff import compare
from koito_import.compare.report import render
from koito_import.compare.snapshot import load
from koito_import.core.dburl import parse_database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", help="what Koito built: postgresql://… or path/koito.db")
    parser.add_argument("other", help="what koito-import built")
    parser.add_argument(
        "--accept",
        action="append",
        default=[],
        choices=[*sorted(RULES), "all"],
        help="accept this documented deliberate difference (repeatable; 'all' for every one)",
    )
    parser.add_argument("--limit", type=int, default=50, help="lines per group (default 50)")
    args = parser.parse_args(argv)
    ref = load(parse_database(args.reference))
    other = load(parse_database(args.other))
    found = compare(ref, other)
    rules = sorted(RULES) if "all" in args.accept else args.accept
    kept, accepted = split_accepted(found, rules, ref, other)
    print(render(kept, accepted, args.limit))
    return 1 if kept else 0


if __name__ == "__main__":
    raise SystemExit(main())
