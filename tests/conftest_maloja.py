"""Pytest fixtures around tests/maloja_server.py: a real Maloja server per test.

Register them for every test by importing them in tests/conftest.py:

    from tests.conftest_maloja import maloja_server, make_maloja_server  # noqa: F401

or in one test module by assignment (an import would read as unused to ruff):

    from tests import conftest_maloja

    maloja_server = conftest_maloja.maloja_server
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.maloja_server import MalojaNotInstalled, MalojaServer

MalojaFactory = Callable[..., MalojaServer]


@pytest.fixture
def make_maloja_server(tmp_path: Path) -> Iterator[MalojaFactory]:
    """Start servers, each in its own directory, optionally seeded first from a Maloja export
    (scrobble dicts or a file, see `MalojaServer.seed`); all are stopped after the test."""
    servers: list[MalojaServer] = []

    def make(seed: Iterable[Mapping[str, Any]] | Path | None = None) -> MalojaServer:
        try:
            server = MalojaServer(tmp_path / f"maloja-{len(servers)}")
        except MalojaNotInstalled as exc:
            pytest.fail(str(exc), pytrace=False)
        servers.append(server)
        if seed is not None:
            server.seed(seed)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def maloja_server(make_maloja_server: MalojaFactory) -> MalojaServer:
    """A fresh, empty Maloja server on 127.0.0.1, answering, with `api_key` accepted."""
    return make_maloja_server()
