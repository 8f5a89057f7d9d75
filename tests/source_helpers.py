"""Shared by the reader-level source tests: read inputs and sort the result."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

from koito_import.core.model import Scrobble, Skip
from koito_import.sources import read_inputs
from koito_import.sources.base import ByteCounter, SourceOptions

FIXTURES = Path(__file__).parent / "fixtures"

BJORK = "87c5dedd-371d-4a53-9f7f-80522fb7f3cb"
SIGUR_ROS = "f6f2326f-6b25-4170-b89d-e235b25508e8"
UTADA = "6ffb8ea9-2370-44d8-b678-e9237bbd347b"
DAFT_PUNK = "056e4f3e-d505-4dad-8ec1-d04f521cbb56"
PHARRELL = "149e6720-4e4a-41a4-afca-6d29083fc091"
HOMOGENIC = "2f7df8b5-b4d3-3bde-a6e2-8e1aa3a0aeb2"
JOGA = "5a9dd6a1-ae07-4e6b-8d80-4a0c0fc0b1a4"
RAM = "aa997ea0-2936-40bd-884d-3af8a0e064dc"


def read(
    source: str, *paths: Path, options: SourceOptions | None = None
) -> tuple[list[Scrobble], list[Skip]]:
    counter = ByteCounter()
    items = list(read_inputs(source, list(paths), counter, options or SourceOptions()))
    return (
        [i for i in items if isinstance(i, Scrobble)],
        [i for i in items if isinstance(i, Skip)],
    )


def reasons(skips: list[Skip]) -> Counter[str]:
    return Counter(s.reason for s in skips)


def make_zip(target: Path, members: dict[str, bytes | Path]) -> Path:
    """A zip with the given members (bytes, or a file whose bytes to store)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            data = content.read_bytes() if isinstance(content, Path) else content
            archive.writestr(name, data)
    return target
