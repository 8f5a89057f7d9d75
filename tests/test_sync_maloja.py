"""`koito-import sync maloja URL` against a real Maloja server (tests/maloja_server.py: the pinned
malojaserver on loopback), on both back ends: sync, scrobble more (one backdated), sync again;
and what a wrong key or a server that is not Maloja gives."""

from __future__ import annotations

import time

import pytest

from koito_import.core.dburl import Database
from tests import conftest_maloja
from tests.maloja_server import MalojaServer
from tests.service_fakes import FakeListenBrainz
from tests.sync_support import DAY, fast_retries, listens, sync

maloja_server = conftest_maloja.maloja_server
make_maloja_server = conftest_maloja.make_maloja_server


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)


def test_maloja_sync_then_more_scrobbles_then_sync_again(
    any_db: Database, maloja_server: MalojaServer
) -> None:
    now = int(time.time())
    maloja_server.scrobble(["Björk"], "Jóga", album="Homogenic", time=now - 40 * DAY)
    maloja_server.scrobble(["Portishead"], "Roads", time=now - 30 * DAY)
    maloja_server.scrobble(["Sigur Rós", "Jónsi"], "Hoppípolla", time=now - 600)
    url = maloja_server.url

    first = sync(any_db, "maloja", url, "--api-key", maloja_server.api_key)

    assert first.code == 0, first.stderr
    assert (first.summary["inserted"], first.summary["service"]) == (3, "sync:maloja")
    assert [(t, r, c) for _, t, r, c in listens(any_db)] == [
        ("Jóga", "Homogenic", "maloja"),
        ("Roads", "Roads", "maloja"),
        ("Hoppípolla", "Hoppípolla", "maloja"),
    ]

    maloja_server.scrobble(["Björk"], "Bachelorette", album="Homogenic", time=now - 3 * DAY)
    maloja_server.scrobble(["Portishead"], "Glory Box", time=int(time.time()) - 1)
    second = sync(any_db, "maloja", url)

    assert second.code == 0, second.stderr
    assert second.summary["inserted"] == 2  # the backdated one and the new one, no other
    assert second.summary["duplicates"] == 1  # Hoppípolla, inside the overlap
    assert len(listens(any_db)) == 5


def test_wrong_maloja_key_or_a_server_that_is_not_maloja_exit_6(
    any_db: Database, maloja_server: MalojaServer, fake_listenbrainz: FakeListenBrainz
) -> None:
    key = "not-the-key-0123456789"
    refused = sync(any_db, "maloja", maloja_server.url, "--api-key", key, "--quiet")
    other = sync(any_db, "maloja", fake_listenbrainz.url, "--quiet")

    assert refused.code == other.code == 6
    assert refused.stderr.strip() == (
        f"koito-import: Maloja at {maloja_server.url}: the API key was refused"
    )
    assert key not in refused.stderr + refused.stdout
    assert other.stderr.strip() == (
        f"koito-import: Maloja at {fake_listenbrainz.url}: this is not a Maloja server "
        "(serverinfo answered 404)"
    )
