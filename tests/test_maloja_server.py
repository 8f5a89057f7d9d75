"""The Maloja test server (tests/maloja_server.py) works: scrobbles go in through the native API
with the key and come back through it, and an export seeds it before it starts."""

from __future__ import annotations

import time

from tests import conftest_maloja
from tests.conftest_maloja import MalojaFactory
from tests.maloja_server import MalojaServer, export_scrobble

maloja_server = conftest_maloja.maloja_server
make_maloja_server = conftest_maloja.make_maloja_server

DAY = 86_400


def test_scrobbles_go_in_and_come_back(maloja_server: MalojaServer) -> None:
    now = int(time.time())
    backdated = now - 20 * DAY
    maloja_server.scrobble(["Björk"], "Jóga", album="Homogenic", time=now - 120)
    maloja_server.scrobble(["Portishead"], "Roads", album="Dummy", time=backdated, length=305)
    reply = maloja_server.scrobble(["Sigur Rós"], "Hoppípolla", time=now - 60, duration=268)
    assert reply["track"] == {"artists": ["Sigur Rós"], "title": "Hoppípolla"}

    listed = maloja_server.scrobbles()
    assert [(s["time"], s["track"]["title"]) for s in listed] == [
        (now - 60, "Hoppípolla"),
        (now - 120, "Jóga"),
        (backdated, "Roads"),
    ]
    bjork = listed[1]
    assert bjork["track"]["artists"] == ["Björk"]
    assert bjork["track"]["album"] == {"artists": ["Björk"], "albumtitle": "Homogenic"}
    assert listed[2]["track"]["length"] == 305
    assert listed[0]["duration"] == 268
    assert listed[0]["track"]["album"] is None

    # Pages of `perpage`, oldest first with reverse=no.
    status, page = maloja_server.get("scrobbles", since="1970/01/01", perpage=2, page=1)
    assert status == 200
    assert [s["time"] for s in page["list"]] == [backdated]
    assert page["pagination"]["next_page"] is None
    oldest_first = maloja_server.scrobbles(reverse="no")
    assert [s["time"] for s in oldest_first] == [backdated, now - 120, now - 60]

    # Without `since`, Maloja only looks back to where its history began when it started.
    status, unbounded = maloja_server.get("scrobbles")
    assert status == 200
    assert backdated not in [s["time"] for s in unbounded["list"]]

    # A wrong key is refused, and the scrobble is not stored.
    status, refused = maloja_server.request(
        "POST", "newscrobble", body={"key": "wrong", "artists": ["X"], "title": "Y"}
    )
    assert (status, refused["error"]["type"]) == (403, "authentication_fail")
    assert maloja_server.get("test", key="wrong")[0] == 403
    assert maloja_server.get("test", key=maloja_server.api_key) == (200, {"status": "ok"})
    assert len(maloja_server.scrobbles()) == 3


def test_an_export_seeds_the_server(make_maloja_server: MalojaFactory) -> None:
    server = make_maloja_server(
        seed=[
            export_scrobble(1_700_000_000, ["Björk"], "Jóga", album="Homogenic"),
            export_scrobble(1_700_000_300, ["宇多田ヒカル"], "First Love", duration=250),
        ]
    )
    listed = server.get("scrobbles")[1]["list"]  # seeded history is within the default range
    assert [(s["time"], s["track"]["artists"], s["track"]["title"]) for s in listed] == [
        (1_700_000_300, ["宇多田ヒカル"], "First Love"),
        (1_700_000_000, ["Björk"], "Jóga"),
    ]
    assert listed[0]["origin"] == "import:maloja"
